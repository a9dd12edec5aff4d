package dev.millrace.server.cluster;

/**
 * A call that must run on another node of the cluster (the metadata writer, or a shard's owner) could not be sent
 * there: no such node is known, it is not alive, or it did not answer. The client gets the service's retryable 5xx
 * (or, for a PutRecords entry, a retryable per-record failure) with this message.
 *
 * <p>Immutable, thread-safe.
 */
public final class NodeUnavailableException extends RuntimeException {
    public NodeUnavailableException(String message) {
        super(message, null, false, false);
    }
}
