package dev.millrace.storage;

import java.util.Map;

/**
 * Told of every commit to a {@link MetadataStore} ({@link MetadataStore#onCommit}): the change feed from which a node
 * keeps its view of streams, consumers and tables current when other nodes change them too.
 *
 * <p>Commits arrive one at a time, in version order, each once, after they are durable and visible to
 * {@link MetadataStore#get}. A store may tell its own commits on the committing thread before {@code commit} returns
 * (the embedded store) or on a thread of its own soon after (a store that learns of every commit by reading them back,
 * as Kafka's does); callers that need a commit's effect rely on {@code commit}'s return, not on the feed. A listener
 * must be cheap and must not call back into the store's commit methods (a store may call it while holding its lock);
 * it may read ({@code get}, {@code scan}, {@code version}). One that throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface MetadataListener {

    /**
     * @param version the version the commit produced
     * @param changes the keys it changed: a non-null value was put, a {@code null} value deleted (unmodifiable)
     */
    void committed(long version, Map<String, byte[]> changes);
}
