package dev.millrace.server.cluster;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.server.fanout.SubscriptionClaims;
import dev.millrace.server.fanout.SubscriptionGate;
import dev.millrace.storage.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * AWS's rule of one live subscription per consumer and shard, across a cluster: each shard's owner
 * ({@link ShardOwners}) keeps the {@link SubscriptionClaims} of its shards, and a node that receives a SubscribeToShard
 * claims the subscription from the owner before it starts the session. The owner refuses a claim within 5 seconds of
 * the last one (ResourceInUseException, as AWS) and otherwise grants it and ends the session it displaces, on
 * whichever node that runs (a REVOKE call). A session that ends tells the owner (RELEASE), so the consumer may
 * subscribe again at once.
 *
 * <p><b>Failures.</b> A claim whose owner cannot be reached is refused with a retryable ServiceUnavailableException:
 * the owner's death moves its shards to other nodes within seconds, and the subscriber (KCL) retries. A holder whose
 * node died holds nothing, so a subscriber whose node died resubscribes through another at once and continues from its
 * continuation sequence number. An owner that dies takes its table with it: for up to 5 seconds after, a second
 * subscription may start while the first still runs on a live node, which ends at its 5-minute limit; releases and
 * revocations are sent in the background and a lost one is only logged.
 *
 * <p>Thread-safe. Calls to other nodes that nobody waits for run on one background thread with a bounded queue.
 */
public final class ClusterSubscriptions implements SubscriptionGate {
    private static final Logger log = LoggerFactory.getLogger(ClusterSubscriptions.class);
    private static final int BACKGROUND_QUEUE = 10_000;

    private final Cluster cluster;
    private final ClusterCalls calls;
    private final ShardOwners owners;
    private final SubscriptionClaims claims;
    private final Function<Account, FanOut> fanOuts;
    private final ThreadPoolExecutor background;

    /** @param fanOuts an account region's fan-out on this node, to end its sessions that were taken over */
    public ClusterSubscriptions(Cluster cluster, ClusterCalls calls, ShardOwners owners, SubscriptionClaims claims,
                                Function<Account, FanOut> fanOuts) {
        this.cluster = cluster;
        this.calls = calls;
        this.owners = owners;
        this.claims = claims;
        this.fanOuts = fanOuts;
        this.background = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(BACKGROUND_QUEUE), r -> {
                    Thread t = new Thread(r, "millrace-subscriptions");
                    t.setDaemon(true);
                    return t;
                });
    }

    @Override
    public void claim(Account scope, String consumerArn, String streamName, long streamEpochMs, int shardIndex,
                      String sessionId) {
        ClusterCalls.Subscription sub = new ClusterCalls.Subscription(consumerArn, streamName, streamEpochMs,
                shardIndex, cluster.self().id(), sessionId);
        Cluster.Node owner = owners.ownerOf(scope, streamName, streamEpochMs, shardIndex);
        String refused;
        if (owners.isSelf(owner)) {
            refused = claimHere(scope, sub);
        } else {
            ClusterCalls.Answer answer;
            try {
                answer = calls.subscription(owner, ClusterCalls.Service.CLAIM, scope, sub);
            } catch (NodeUnavailableException e) {
                throw unavailable(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable("The server is shutting down.");
            }
            if (answer.status() != 200 && answer.status() != 409) {
                throw unavailable("Node " + owner.id() + ", the shard's owner, answered the subscription's claim with"
                        + " HTTP " + answer.status() + ". Retry.");
            }
            refused = answer.status() == 409 ? new String(answer.body(), StandardCharsets.UTF_8) : null;
        }
        if (refused != null) {
            throw KinesisException.resourceInUse(refused);
        }
    }

    @Override
    public void release(Account scope, String consumerArn, String streamName, long streamEpochMs, int shardIndex,
                        String sessionId) {
        ClusterCalls.Subscription sub = new ClusterCalls.Subscription(consumerArn, streamName, streamEpochMs,
                shardIndex, cluster.self().id(), sessionId);
        Cluster.Node owner = owners.ownerOf(scope, streamName, streamEpochMs, shardIndex);
        if (owners.isSelf(owner)) {
            releaseHere(scope, sub);
        } else {
            inBackground(owner, ClusterCalls.Service.RELEASE, scope, sub);
        }
    }

    /** The owner's side of a claim: null if granted (the displaced session is ended), else the refusal. */
    public String claimHere(Account scope, ClusterCalls.Subscription sub) {
        Set<String> live = liveIds();
        SubscriptionClaims.Holder displaced;
        try {
            displaced = claims.claim(SubscriptionClaims.key(scope, sub.consumerArn(), sub.shardIndex()),
                    sub.nodeId(), sub.sessionId(), live::contains, FanOut.refusal(sub.consumerArn(),
                            sub.shardIndex()));
        } catch (KinesisException e) {
            return e.getMessage();
        }
        if (displaced != null) {
            ClusterCalls.Subscription old = new ClusterCalls.Subscription(sub.consumerArn(), sub.streamName(),
                    sub.streamEpochMs(), sub.shardIndex(), displaced.nodeId(), displaced.sessionId());
            if (displaced.nodeId().equals(cluster.self().id())) {
                revokeHere(scope, old);
            } else {
                node(displaced.nodeId()).ifPresent(n -> inBackground(n, ClusterCalls.Service.REVOKE, scope, old));
            }
        }
        return null;
    }

    /** The owner's side of a release. */
    public void releaseHere(Account scope, ClusterCalls.Subscription sub) {
        claims.release(SubscriptionClaims.key(scope, sub.consumerArn(), sub.shardIndex()), sub.sessionId());
    }

    /** Ends this node's session that a newer subscription took over. */
    public void revokeHere(Account scope, ClusterCalls.Subscription sub) {
        fanOuts.apply(scope).revoke(sub.consumerArn(), sub.shardIndex(), sub.sessionId());
    }

    /** After a membership change: the subscriptions held by nodes that died hold nothing. */
    public void forgetDeadNodes() {
        claims.forgetDead(liveIds()::contains);
    }

    private Set<String> liveIds() {
        return cluster.liveNodes().stream().map(Cluster.Node::id).collect(Collectors.toSet());
    }

    private Optional<Cluster.Node> node(String id) {
        return cluster.liveNodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }

    private void inBackground(Cluster.Node node, ClusterCalls.Service service, Account scope,
                              ClusterCalls.Subscription sub) {
        try {
            background.execute(() -> {
                try {
                    calls.subscription(node, service, scope, sub);
                } catch (NodeUnavailableException e) {
                    log.info("Could not tell node {} of a subscription's {}: {}", node.id(), service, e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        } catch (RejectedExecutionException e) {
            log.warn("Dropped a subscription {} for node {}: {} calls are waiting", service, node.id(),
                    BACKGROUND_QUEUE);
        }
    }

    private static KinesisException unavailable(String message) {
        return new KinesisException("ServiceUnavailableException", message, 503);
    }

    /** Stops the background calls. */
    public void close() {
        background.shutdownNow();
    }
}
