package dev.millrace.it;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Duration;

/**
 * {@link ChannelCrashTest} on the Kafka backend: with the stream's records, the channel and its delivery checkpoints
 * in Kafka, a server killed with SIGKILL at random and at the worst moments of an upload still delivers every
 * acknowledged record exactly once. Fewer lives than on the embedded engine, each longer: a node restarted after
 * kill -9 delivers only once it is elected metadata writer, when its dead predecessor's claim has expired (seconds).
 * About 66 s, so only with {@code -Dmillrace.it.long=true}: the default suite runs the crash test on the embedded
 * engine and delivery on Kafka ({@link KafkaChannelDeliveryTest}), which share every line of the delivery code.
 */
@OnKafka
@EnabledIfSystemProperty(named = "millrace.it.long", matches = "true")
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
