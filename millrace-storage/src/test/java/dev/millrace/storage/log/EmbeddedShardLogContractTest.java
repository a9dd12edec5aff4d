package dev.millrace.storage.log;

import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.contract.ShardLogContract;

/** The shard log contract against the embedded engine with its default configuration. */
class EmbeddedShardLogContractTest extends ShardLogContract {
    @Override
    protected LogBackend newBackend() {
        return new EmbeddedLogBackend();
    }
}
