package dev.millrace.it;

import java.time.Duration;

/**
 * {@link ChannelCrashTest} on the Kafka backend: with the stream's records, the channel and its delivery checkpoints
 * in Kafka, a server killed with SIGKILL at random and at the worst moments of an upload still delivers every
 * acknowledged record exactly once. Fewer lives than on the embedded engine, each longer: a node restarted after
 * kill -9 delivers only once it is elected metadata writer, when its dead predecessor's claim has expired (seconds).
 */
@OnKafka
class KafkaChannelCrashTest extends ChannelCrashTest {
    @Override
    int cycles() {
        return 4;
    }

    @Override
    Duration hookKillWait() {
        return Duration.ofSeconds(25);
    }
}
