package dev.millrace.metrics;

/**
 * What the storage engine tells at a scrape: its open files and what each stream takes on disk. The server
 * implements it on its storage; either figure may be unknown for a backend (the Kafka one keeps no files here).
 *
 * <p>Implementations are called from the scraping thread, one scrape at a time or several at once: thread-safe.
 */
public interface StorageGauges {
    StorageGauges NONE = new StorageGauges() {
        @Override
        public long openFiles() {
            return -1;
        }

        @Override
        public void diskBytesPerStream(StreamBytes out) {
        }
    };

    /** File channels the log engine holds open now; -1 if the backend has none to tell. */
    long openFiles();

    /** Tells {@code out} the bytes on disk of every stream this node stores; nothing if the backend keeps no files. */
    void diskBytesPerStream(StreamBytes out);

    /** One stream's bytes on disk. */
    @FunctionalInterface
    interface StreamBytes {
        void accept(String accountId, String region, String stream, long bytes);
    }
}
