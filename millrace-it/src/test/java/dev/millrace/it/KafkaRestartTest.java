package dev.millrace.it;

/**
 * {@link RestartTest} on the Kafka backend: a restarted node (after SIGTERM or kill -9) finds every stream, setting,
 * consumer and acknowledged record in the cluster.
 */
@OnKafka
class KafkaRestartTest extends RestartTest {
}
