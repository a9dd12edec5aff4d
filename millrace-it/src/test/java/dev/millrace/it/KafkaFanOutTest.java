package dev.millrace.it;

/** {@link FanOutTest} on the Kafka backend: SubscribeToShard fed by the Kafka log store's append notifications. */
@OnKafka
class KafkaFanOutTest extends FanOutTest {
}
