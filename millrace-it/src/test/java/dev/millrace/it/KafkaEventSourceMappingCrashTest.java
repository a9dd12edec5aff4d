package dev.millrace.it;

/**
 * {@link EventSourceMappingCrashTest} on the Kafka backend: with the stream's records, the mapping and its
 * checkpoints in Kafka, a server killed with SIGKILL at random moments still gets every acknowledged record to the
 * function, each shard's first arrivals in order. Two lives rather than five: a server restarted after kill -9 invokes
 * nothing until it is the metadata writer again, once the claim of its killed life has expired (a few seconds with
 * {@link KafkaBackend#QUICK_TAKEOVER}), and a life is killed only after the mapping has invoked in it, so each
 * restarted life, and the last restart's catch-up, lasts those seconds longer than on the embedded engine.
 *
 * <p>Not thread-safe; one test.
 */
@OnKafka
class KafkaEventSourceMappingCrashTest extends EventSourceMappingCrashTest {
    @Override
    int cycles() {
        return 2;
    }
}
