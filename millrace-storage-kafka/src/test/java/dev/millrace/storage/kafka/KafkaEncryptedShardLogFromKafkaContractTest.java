package dev.millrace.storage.kafka;

import dev.millrace.storage.contract.LogBackend;

/**
 * The encrypted shard log contract against the Kafka log store with no recent appends kept in memory, so that every
 * encrypted record is read from the brokers and opened there; {@link KafkaEncryptedShardLogContractTest} (whose
 * cluster set-up this inherits) runs it as in production.
 */
class KafkaEncryptedShardLogFromKafkaContractTest extends KafkaEncryptedShardLogContractTest {
    @Override
    protected LogBackend newBackend() {
        return new KafkaLogBackend(cluster.bootstrapServers(), admin, false);
    }
}
