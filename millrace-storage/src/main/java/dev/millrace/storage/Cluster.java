package dev.millrace.storage;

import java.util.List;
import java.util.Optional;

/**
 * How this node stands among the nodes that share its storage: who they are, and which one is the metadata writer.
 *
 * <p>On a backend that several nodes share (Kafka), one node at a time is the <em>writer</em>: the only one whose
 * {@link MetadataStore} commits. Every operation that changes metadata runs there (the server forwards it), and so do
 * the periodic state transitions; the others are <em>followers</em>, whose metadata view follows the writer's
 * commits through {@link MetadataStore#onCommit}. A node's role changes when the writer dies or is cut off. On a
 * backend of one node (the embedded engine: {@link #solo}) that node is always the writer.
 *
 * <p>Implementations are thread-safe. {@link #isWriter} is a snapshot: it may change right after it was read, and the
 * store's fencing, not this flag, is what stops a deposed writer from committing.
 */
public interface Cluster {

    /** A node as the others see it: its id and where its API listens (e.g. {@code http://10.0.0.5:4567}). */
    record Node(String id, String endpoint) {
    }

    /** This node. */
    Node self();

    /** Whether this node is the metadata writer now. */
    boolean isWriter();

    /** The writer as this node last learned it; empty while none is known (at the first start of a cluster). */
    Optional<Node> writer();

    /** The nodes that are alive now, this one included, sorted by id. */
    List<Node> liveNodes();

    /**
     * Waits until this node's metadata view holds {@code version} (a version the writer reported), so that a change
     * made through the writer is visible here before this node answers its client.
     *
     * @return whether it did within {@code timeoutMs}
     */
    boolean awaitVersion(long version, long timeoutMs) throws InterruptedException;

    /**
     * Tells {@code listener} each time this node becomes the writer ({@code true}) or stops being it ({@code false}),
     * from a thread of the cluster's, after {@link #isWriter} changed. Listeners must not block for long.
     */
    Registration onRoleChange(RoleListener listener);

    /**
     * Tells {@code listener} each time the set of live nodes changes (a node joined, left or was found dead), from a
     * thread of the cluster's; it must return quickly. A cluster of one never calls it.
     */
    default Registration onMembershipChange(Runnable listener) {
        return () -> { };
    }

    /** Told of role changes ({@link #onRoleChange}). */
    @FunctionalInterface
    interface RoleListener {
        void roleChanged(boolean writer);
    }

    /** A node alone on its storage, always the writer. */
    static Cluster solo() {
        return SoloCluster.INSTANCE;
    }
}
