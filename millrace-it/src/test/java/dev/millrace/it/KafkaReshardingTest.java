package dev.millrace.it;

/** {@link ReshardingTest} on the Kafka backend: split and merge seal the parent topics. */
@OnKafka
class KafkaReshardingTest extends ReshardingTest {
}
