package dev.millrace.it;

/** {@link JsSdkV3Test} on the Kafka backend: the JS SDK's thousand calls, records read back. */
@OnKafka
class KafkaJsSdkV3Test extends JsSdkV3Test {
}
