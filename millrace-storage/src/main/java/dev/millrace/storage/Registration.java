package dev.millrace.storage;

/** Ends a listener's calls ({@link ShardLog#onAppend}, {@link MetadataStore#onCommit}); idempotent. Calls already
 * under way may still complete. */
public interface Registration extends AutoCloseable {
    @Override
    void close();
}
