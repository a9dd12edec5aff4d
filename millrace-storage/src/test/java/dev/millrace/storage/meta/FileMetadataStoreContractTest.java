package dev.millrace.storage.meta;

import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.contract.MetadataStoreContract;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The metadata store contract against the embedded store, in a fresh data directory per test. */
class FileMetadataStoreContractTest extends MetadataStoreContract {
    @TempDir
    Path dir;

    @Override
    protected MetadataStore openStore() {
        return FileMetadataStore.open(dir);
    }
}
