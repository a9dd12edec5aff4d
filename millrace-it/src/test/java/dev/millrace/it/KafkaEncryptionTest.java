package dev.millrace.it;

/**
 * {@link EncryptionTest} on the Kafka backend: records written while encryption is on are nowhere in plain bytes in
 * the broker's log files, and a disabled key stops their reads and writes.
 */
@OnKafka
class KafkaEncryptionTest extends EncryptionTest {
}
