package dev.millrace.storage.kafka;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.ShardLog;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** PLACEHOLDER: being written (issue 14); only the signature of {@link #open} is settled. */
public final class KafkaLogStore implements LogStore {

    public static KafkaLogStore open(KafkaStorageConfig config, Clock clock) {
        throw new UnsupportedOperationException("the Kafka log store is not written yet");
    }

    @Override
    public ShardLog openOrCreate(String shardKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean exists(String shardKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Optional<ShardLog> openIfExists(String shardKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void delete(String shardKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<String> shardKeys() {
        throw new UnsupportedOperationException();
    }

    @Override
    public int trimExpired() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
