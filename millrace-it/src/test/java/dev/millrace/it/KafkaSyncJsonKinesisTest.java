package dev.millrace.it;

/** {@link SyncJsonKinesisTest}'s record round trips in JSON on the Kafka backend (the CBOR variant runs the rest). */
@OnKafka(onlyTagged = KinesisApiContract.RECORDS)
class KafkaSyncJsonKinesisTest extends SyncJsonKinesisTest {
}
