package dev.millrace.storage.embedded;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Storage;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;

import java.time.Clock;

/**
 * The embedded backend: the segmented shard logs and the file metadata store, both under one data directory
 * ({@code <dataDir>/shards}, {@code <dataDir>/metadata}).
 *
 * <p>Thread-safe.
 */
public final class EmbeddedStorage implements Storage {
    private final EmbeddedLogStore logs;
    private final FileMetadataStore metadata;

    private EmbeddedStorage(EmbeddedLogStore logs, FileMetadataStore metadata) {
        this.logs = logs;
        this.metadata = metadata;
    }

    /** {@link #open(LogConfig, Clock, KeyRing)} with no keys: encrypted records cannot be read. */
    public static EmbeddedStorage open(LogConfig config, Clock clock) {
        return open(config, clock, KeyRing.NONE);
    }

    /**
     * Opens (creating if needed) the data directory of {@code config}; the logs recover lazily, shard by shard, and
     * read encrypted records with keys from {@code keys}.
     */
    public static EmbeddedStorage open(LogConfig config, Clock clock, KeyRing keys) {
        EmbeddedLogStore logs = EmbeddedLogStore.open(config, clock, keys);
        try {
            return new EmbeddedStorage(logs, FileMetadataStore.open(config.dataDir(),
                    FileMetadataStore.COMPACT_BYTES_DEFAULT, config.channels(), clock));
        } catch (RuntimeException e) {
            logs.close();
            throw e;
        }
    }

    @Override
    public LogStore logs() {
        return logs;
    }

    @Override
    public MetadataStore metadata() {
        return metadata;
    }

    @Override
    public void close() {
        try {
            logs.close();
        } finally {
            metadata.close();
        }
    }
}
