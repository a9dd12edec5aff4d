package dev.millrace.it;

/**
 * {@link ChannelApiTest}'s SDK scenario on the Kafka backend: channels kept in the Kafka metadata store, across a
 * restart of the server. The CLI and error scenarios are the same code on either backend.
 */
@OnKafka(onlyTagged = "kafka")
class KafkaChannelApiTest extends ChannelApiTest {
}
