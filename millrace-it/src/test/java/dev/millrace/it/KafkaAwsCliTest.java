package dev.millrace.it;

/** {@link AwsCliTest} on the Kafka backend. */
@OnKafka
class KafkaAwsCliTest extends AwsCliTest {
}
