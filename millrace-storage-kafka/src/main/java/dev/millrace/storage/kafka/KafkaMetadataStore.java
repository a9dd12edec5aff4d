package dev.millrace.storage.kafka;

import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/** PLACEHOLDER: being written (issue 14); only the signature of {@link #open} is settled. */
public final class KafkaMetadataStore implements MetadataStore {

    public static KafkaMetadataStore open(KafkaStorageConfig config, Clock clock) {
        throw new UnsupportedOperationException("the Kafka metadata store is not written yet");
    }

    @Override
    public Optional<byte[]> get(String key) {
        throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<String, byte[]> scan(String prefix) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long commit(Map<String, byte[]> changes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Registration onCommit(MetadataListener listener) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long version() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
