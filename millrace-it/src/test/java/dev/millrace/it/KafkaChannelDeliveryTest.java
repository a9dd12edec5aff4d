package dev.millrace.it;

/**
 * {@link ChannelDeliveryTest} on the Kafka backend: a server keeping its streams, channels and delivery checkpoints in
 * Kafka delivers every record once to s3proxy, dead letters included, also across a restart. The scenarios that do
 * not reach storage (a bucket that does not exist; local files, which differ from S3 only in the destination) run
 * on the embedded engine only: overridden here without {@code @Test}, JUnit does not run them.
 */
@OnKafka
class KafkaChannelDeliveryTest extends ChannelDeliveryTest {
    @Override
    void aChannelWhoseBucketDoesNotExistFailsWithTheReason() {
    }

    @Override
    void withoutAnS3EndpointObjectsAreFilesUnderTheDataDirectory() {
    }
}
