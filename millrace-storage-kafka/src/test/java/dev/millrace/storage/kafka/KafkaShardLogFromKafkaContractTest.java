package dev.millrace.storage.kafka;

import dev.millrace.storage.contract.LogBackend;

/**
 * The shard log contract against the Kafka log store with no recent appends kept in memory, so that every read goes to
 * the brokers; {@link KafkaShardLogContractTest} (whose cluster set-up this inherits) runs it as in production.
 */
class KafkaShardLogFromKafkaContractTest extends KafkaShardLogContractTest {
    @Override
    protected LogBackend newBackend() {
        return new KafkaLogBackend(cluster.bootstrapServers(), admin, false);
    }
}
