package dev.millrace.storage.log;

import dev.millrace.storage.contract.EncryptedShardLogContract;
import dev.millrace.storage.contract.LogBackend;

/** The encrypted shard log contract against the embedded engine with its default configuration. */
class EmbeddedEncryptedShardLogContractTest extends EncryptedShardLogContract {
    @Override
    protected LogBackend newBackend() {
        return new EmbeddedLogBackend();
    }
}
