package dev.millrace.it;

/**
 * {@link EventSourceMappingProcessingTest} on the Kafka backend: a server keeping its streams, mappings and
 * checkpoints in Kafka processes records in order, retries and records failures, and resumes after a restart.
 */
@OnKafka
class KafkaEventSourceMappingProcessingTest extends EventSourceMappingProcessingTest {
}
