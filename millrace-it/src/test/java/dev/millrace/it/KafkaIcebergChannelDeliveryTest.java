package dev.millrace.it;

/**
 * {@link IcebergChannelDeliveryTest} on the Kafka backend: a server keeping its streams, channels and schemas in Kafka
 * delivers GSR JSON records through an Iceberg REST catalog, every row once, dead letters to s3proxy, also across a
 * restart. The embedded catalog's scenarios are skipped: on Kafka storage a server refuses it (one node's file), which
 * IcebergOptionsTest shows.
 */
@OnKafka
class KafkaIcebergChannelDeliveryTest extends IcebergChannelDeliveryTest {
}
