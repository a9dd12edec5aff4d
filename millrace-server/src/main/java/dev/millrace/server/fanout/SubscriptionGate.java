package dev.millrace.server.fanout;

import dev.millrace.protocol.Account;

/**
 * Where {@link FanOut} asks whether a consumer may subscribe to a shard now ({@link SubscriptionClaims}' rule), and
 * tells that a subscription ended. On a node alone the node's own table answers ({@link #local}); in a cluster the
 * shard's owner's does, so the rule holds across nodes.
 *
 * <p>Implementations are thread-safe.
 */
public interface SubscriptionGate {

    /**
     * Lets session {@code sessionId} subscribe {@code consumerArn} to the shard, ending the session it displaces
     * (on whichever node), or throws ResourceInUseException (or a retryable ServiceUnavailableException when the
     * shard's owner cannot be asked).
     */
    void claim(Account scope, String consumerArn, String streamName, long streamEpochMs, int shardIndex,
               String sessionId);

    /** Session {@code sessionId} ended. */
    void release(Account scope, String consumerArn, String streamName, long streamEpochMs, int shardIndex,
                 String sessionId);

    /** The gate of a node alone: its own table; a displaced session is ended by {@code fanOut}. */
    static SubscriptionGate local(SubscriptionClaims claims, FanOut fanOut) {
        return new SubscriptionGate() {
            @Override
            public void claim(Account scope, String consumerArn, String streamName, long streamEpochMs,
                              int shardIndex, String sessionId) {
                SubscriptionClaims.Holder displaced = claims.claim(SubscriptionClaims.key(scope, consumerArn,
                        shardIndex), "local", sessionId, node -> true, FanOut.refusal(consumerArn, shardIndex));
                if (displaced != null) {
                    fanOut.revoke(consumerArn, shardIndex, displaced.sessionId());
                }
            }

            @Override
            public void release(Account scope, String consumerArn, String streamName, long streamEpochMs,
                                int shardIndex, String sessionId) {
                claims.release(SubscriptionClaims.key(scope, consumerArn, shardIndex), sessionId);
            }
        };
    }
}
