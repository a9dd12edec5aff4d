package dev.millrace.it;

import org.junit.jupiter.api.Tag;

/**
 * {@link EventSourceMappingCrashTest} on the Kafka backend: with the stream's records, the mapping and its
 * checkpoints in Kafka, a server killed with SIGKILL at random moments still gets every acknowledged record to the
 * function, each shard's first arrivals in order. Fewer lives than on the embedded engine: a server restarted after
 * kill -9 processes only once it is the metadata writer again, when its dead predecessor's claim has expired
 * (seconds, {@link KafkaBackend#QUICK_TAKEOVER}), so each life costs more.
 *
 * <p>Not thread-safe; one test.
 */
@OnKafka
@Tag("kafka")
class KafkaEventSourceMappingCrashTest extends EventSourceMappingCrashTest {
    @Override
    int cycles() {
        return 2;
    }
}
