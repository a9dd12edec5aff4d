package dev.millrace.it;

/**
 * {@link EventSourceMappingCrashTest} on the Kafka backend: with the stream's records, the mapping and its
 * checkpoints in Kafka, a server killed with SIGKILL at random moments still gets every acknowledged record to the
 * function, each shard's first arrivals in order. Two lives rather than five, for time: a life lasts about twice as
 * long here (about 17 s against 9 s on a busy 2-core machine), mostly because a server on Kafka takes about 8 s from
 * its first log line to ready, a fresh one too. A restarted server invokes nothing until it is the metadata writer
 * again, once the claim of its killed life has expired (about 4 s after its start with
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
