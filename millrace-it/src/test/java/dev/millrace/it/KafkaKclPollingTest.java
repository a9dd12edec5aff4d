package dev.millrace.it;

/** {@link KclPollingTest} on the Kafka backend: KCL's leases in the DynamoDB subset, kept in Kafka's metadata topic. */
@OnKafka
class KafkaKclPollingTest extends KclPollingTest {
}
