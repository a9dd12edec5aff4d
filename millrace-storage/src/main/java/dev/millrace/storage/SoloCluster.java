package dev.millrace.storage;

import java.util.List;
import java.util.Optional;

/**
 * {@link Cluster#solo()}: one node on storage of its own, so always the writer, and its view always holds every
 * version it was told of (it made them). Its endpoint is never dialled: nothing forwards to it.
 *
 * <p>Immutable, thread-safe.
 */
final class SoloCluster implements Cluster {
    static final SoloCluster INSTANCE = new SoloCluster();
    private static final Node SELF = new Node("solo", "local");

    private SoloCluster() {
    }

    @Override
    public Node self() {
        return SELF;
    }

    @Override
    public boolean isWriter() {
        return true;
    }

    @Override
    public Optional<Node> writer() {
        return Optional.of(SELF);
    }

    @Override
    public List<Node> liveNodes() {
        return List.of(SELF);
    }

    @Override
    public boolean awaitVersion(long version, long timeoutMs) {
        return true;
    }

    @Override
    public Registration onRoleChange(RoleListener listener) {
        // The role never changes.
        return () -> { };
    }
}
