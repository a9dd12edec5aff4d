package dev.millrace.it;

/** {@link KclFanOutTest} on the Kafka backend. */
@OnKafka
class KafkaKclFanOutTest extends KclFanOutTest {
}
