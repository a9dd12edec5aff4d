package dev.millrace.it;

/**
 * {@link ChannelDeliveryTest} on the Kafka backend: a server keeping its streams, channels and delivery checkpoints in
 * Kafka delivers every record once to s3proxy and to local files, dead letters included, also across a restart.
 */
@OnKafka
class KafkaChannelDeliveryTest extends ChannelDeliveryTest {
}
