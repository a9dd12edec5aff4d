package dev.millrace.it;

/**
 * {@link EventSourceMappingProcessingTest} on the Kafka backend, the scenarios that reach storage: a server keeping its
 * streams, mappings and checkpoints in Kafka processes records in shard order and resumes from its checkpoints after a
 * restart. Failure handling (retries, bisection, batchItemFailures) is the engine's, whatever the storage.
 */
@OnKafka(onlyTagged = "kafka")
class KafkaEventSourceMappingProcessingTest extends EventSourceMappingProcessingTest {
}
