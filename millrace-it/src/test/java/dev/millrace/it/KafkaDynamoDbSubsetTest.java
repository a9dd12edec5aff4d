package dev.millrace.it;

/** {@link DynamoDbSubsetTest} on the Kafka backend: a lease table and its items survive the node's restart. */
@OnKafka
class KafkaDynamoDbSubsetTest extends DynamoDbSubsetTest {
}
