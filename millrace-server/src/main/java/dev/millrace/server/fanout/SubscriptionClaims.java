package dev.millrace.server.fanout;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * AWS's rule of one live subscription per consumer and shard, as a table of who holds each: the node and session of
 * the latest SubscribeToShard that was let through, and when it started. A new subscription within 5 seconds of the
 * holder's start is refused (ResourceInUseException); a later one takes over, and the holder it displaces is returned
 * so that its session can be ended. A holder whose node is no longer alive holds nothing: a subscriber whose node
 * died resubscribes through another at once.
 *
 * <p>On a node alone the table is the node's; in a cluster each shard's owner keeps the table for its shards, so
 * the rule holds whichever nodes the subscriptions reach. Entries leave when their session ends ({@link #release}) or
 * when their node is found dead, so the table holds at most the live sessions and those of nodes that died.
 *
 * <p>Thread-safe: every method holds this object's monitor for a few map operations.
 */
public final class SubscriptionClaims {
    /** How soon after a subscription started another one for the same consumer and shard is refused. */
    public static final long RESUBSCRIBE_AFTER_MS = 5_000;

    /** Who holds a consumer's subscription to a shard. */
    public record Holder(String nodeId, String sessionId, long startedMs) {
    }

    private final Clock clock;
    private final Map<String, Holder> holders = new HashMap<>();

    public SubscriptionClaims(Clock clock) {
        this.clock = clock;
    }

    /** The key of a consumer's subscription to a shard. */
    public static String key(Account scope, String consumerArn, int shardIndex) {
        return scope.id() + "|" + scope.region() + "|" + consumerArn + "|" + shardIndex;
    }

    /**
     * Lets session {@code sessionId} of node {@code nodeId} hold the subscription {@code key}, or refuses it.
     *
     * @param live    whether a node id names a live node
     * @param refusal the message of the ResourceInUseException a refusal throws
     * @return the live holder this one displaces, whose session must end; null if none
     * @throws KinesisException ResourceInUseException if the live holder started less than 5 seconds ago
     */
    public synchronized Holder claim(String key, String nodeId, String sessionId, Predicate<String> live,
                                     String refusal) {
        long now = clock.millis();
        Holder held = holders.get(key);
        boolean alive = held != null && live.test(held.nodeId());
        if (alive && now - held.startedMs() < RESUBSCRIBE_AFTER_MS) {
            throw KinesisException.resourceInUse(refusal);
        }
        holders.put(key, new Holder(nodeId, sessionId, now));
        return alive ? held : null;
    }

    /** The session ended: it holds nothing any more (a later holder's entry is left alone). */
    public synchronized void release(String key, String sessionId) {
        Holder held = holders.get(key);
        if (held != null && held.sessionId().equals(sessionId)) {
            holders.remove(key);
        }
    }

    /** Drops the entries of nodes that are not alive (after a membership change). */
    public synchronized void forgetDead(Predicate<String> live) {
        holders.values().removeIf(h -> !live.test(h.nodeId()));
    }

    /** How many subscriptions are held, for tests. */
    public synchronized int size() {
        return holders.size();
    }
}
