package dev.millrace.it;

/**
 * {@link AsyncHttp2KinesisTest}'s record round trips over HTTP/2, many at once, on the Kafka backend (the CBOR variant
 * runs the rest of the contract).
 */
@OnKafka(onlyTagged = KinesisApiContract.RECORDS)
class KafkaAsyncHttp2KinesisTest extends AsyncHttp2KinesisTest {
}
