package dev.millrace.storage;

/**
 * A storage backend, opened: where a node's shard logs and its metadata live. The application chooses and opens one
 * (the embedded engine today, Kafka later) and hands it to the server, which uses both halves and closes them with it.
 *
 * <p>Implementations are thread-safe, as their two halves are.
 */
public interface Storage extends AutoCloseable {
    LogStore logs();

    MetadataStore metadata();

    /** This node among those sharing the storage; a backend only one node uses is {@link Cluster#solo()}. */
    default Cluster cluster() {
        return Cluster.solo();
    }

    /** Flushes and closes both halves: logs first, so that metadata outlives every append it describes. */
    @Override
    void close();
}
