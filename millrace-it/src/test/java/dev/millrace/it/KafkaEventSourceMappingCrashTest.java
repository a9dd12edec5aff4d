package dev.millrace.it;

/**
 * {@link EventSourceMappingCrashTest} on the Kafka backend: with the stream's records, the mapping and its
 * checkpoints in Kafka, a server killed with SIGKILL at random moments still gets every acknowledged record to the
 * function, each shard's first arrivals in order. Two lives rather than five, for time: a life lasts about twice as
 * long here (17 s against 9 s embedded on a 2-core machine at load 8, 30 s at load 20), mostly because a server on
 * Kafka takes 8 to 16 s from its first log line to ready, a fresh one too. A restarted server invokes nothing until
 * it is the metadata writer again, once the claim of its killed life has expired (4 to 11 s after its start with
 * {@link KafkaBackend#QUICK_TAKEOVER}); in the runs so far that came before it was ready, but whatever the order the
 * base test kills a life only after the mapping has invoked in it.
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
