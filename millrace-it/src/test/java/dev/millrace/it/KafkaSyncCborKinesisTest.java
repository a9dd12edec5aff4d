package dev.millrace.it;

/** {@link SyncCborKinesisTest}, the whole API contract, on the Kafka backend. */
@OnKafka
class KafkaSyncCborKinesisTest extends SyncCborKinesisTest {
}
