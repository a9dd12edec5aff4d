package dev.millrace.storage;

/**
 * A conditional commit ({@link MetadataStore#commitIfVersion}) found the store at a newer version than the caller
 * read: someone else committed in between, so the caller's decision may rest on stale data. Nothing was changed; the
 * caller re-reads and decides again.
 */
public final class StaleVersionException extends RuntimeException {
    private final long expectedVersion;
    private final long actualVersion;

    public StaleVersionException(long expectedVersion, long actualVersion) {
        super("metadata is at version " + actualVersion + ", not " + expectedVersion);
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    public long expectedVersion() {
        return expectedVersion;
    }

    public long actualVersion() {
        return actualVersion;
    }
}
