package dev.millrace.storage.kafka;

import dev.millrace.storage.Cluster;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One node of several on a Kafka cluster and topic prefix: its {@link NodeMembership} (who is alive), its place in
 * the {@link WriterElection}, and the metadata store's role following that election.
 *
 * <p><b>Roles.</b> When the election names this node, a role thread promotes the metadata store
 * ({@link KafkaMetadataStore#promote}: fences the previous writer, reads to the last stable offset, writes the writer
 * record) and only then reports the node as the writer. A promotion Kafka refuses is retried every
 * {@link #PROMOTION_RETRY_MS} while the node stays elected. When the election deposes it, {@link #isWriter} turns
 * false at once, before the store is demoted on the role thread, so the server stops starting metadata work as soon
 * as it can; a commit already under way either lands before the demotion or fails, and the fencing of the next
 * writer's promotion bounds the overlap either way (see {@link WriterElection}).
 *
 * <p><b>The writer's address</b> is the store's latest writer record: it is ordered with the commits in the metadata
 * topic, so a follower never learns of a writer before it has read everything the previous one committed.
 *
 * <p>Thread-safe. Role changes run one at a time on the role thread; role listeners are called there.
 */
public final class KafkaCluster implements Cluster, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaCluster.class);
    static final long PROMOTION_RETRY_MS = 1_000;
    private static final long CLOSE_TIMEOUT_MS = 15_000;

    private final Node self;
    private final KafkaMetadataStore metadata;
    private final NodeMembership membership;
    private final ExecutorService roles;
    private final List<RoleListener> listeners = new CopyOnWriteArrayList<>();
    private volatile WriterElection election;
    private volatile boolean writer;
    private volatile boolean closed;
    private volatile Live live;

    private KafkaCluster(Node self, KafkaMetadataStore metadata, NodeMembership membership) {
        this.self = self;
        this.metadata = metadata;
        this.membership = membership;
        this.roles = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "millrace-role-" + self.id());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Announces {@code self} on the nodes topic and joins the writer election; the store (opened as a follower) is
     * promoted when this node is elected.
     *
     * @throws StorageException if Kafka cannot be reached
     */
    static KafkaCluster join(KafkaStorageConfig config, Clock clock, NodeInfo self, KafkaMetadataStore metadata) {
        NodeMembership membership = NodeMembership.start(config, self, clock);
        KafkaCluster cluster = new KafkaCluster(new Node(self.nodeId(), self.endpoint()), metadata, membership);
        try {
            cluster.election = WriterElection.start(config, self.nodeId(), new WriterElection.Listener() {
                @Override
                public void elected() {
                    cluster.roles.execute(cluster::becomeWriter);
                }

                @Override
                public void deposed() {
                    cluster.writer = false;
                    cluster.roles.execute(cluster::becomeFollower);
                }
            });
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void becomeWriter() {
        while (!closed && election.isElected()) {
            try {
                metadata.promote(WriterInfo.of(self.id(), self.endpoint()));
                if (!election.isElected()) {
                    // Deposed while promoting: the deposition's own task, queued behind this one, demotes.
                    return;
                }
                writer = true;
                tell(true);
                return;
            } catch (StorageException e) {
                log.warn("Node {} was elected metadata writer but could not take over the metadata topic; retrying"
                        + " in {} ms: {}", self.id(), PROMOTION_RETRY_MS, e.getMessage());
                try {
                    Thread.sleep(PROMOTION_RETRY_MS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void becomeFollower() {
        writer = false;
        metadata.demote();
        tell(false);
    }

    private void tell(boolean nowWriter) {
        for (RoleListener l : listeners) {
            try {
                l.roleChanged(nowWriter);
            } catch (RuntimeException e) {
                log.error("A role listener failed on node {}", self.id(), e);
            }
        }
    }

    @Override
    public Node self() {
        return self;
    }

    @Override
    public boolean isWriter() {
        return writer;
    }

    @Override
    public Optional<Node> writer() {
        return metadata.writer().map(w -> new Node(w.nodeId(), w.endpoint()));
    }

    @Override
    public List<Node> liveNodes() {
        // Asked for every shard a call touches: mapped again only when the membership's (immutable) list changed.
        List<NodeInfo> now = membership.liveNodes();
        Live cached = live;
        if (cached == null || cached.from() != now) {
            cached = new Live(now, now.stream().map(n -> new Node(n.nodeId(), n.endpoint())).toList());
            live = cached;
        }
        return cached.nodes();
    }

    /** The live nodes as the membership last listed them, and as {@link Node}s. */
    private record Live(List<NodeInfo> from, List<Node> nodes) {
    }

    @Override
    public boolean awaitVersion(long version, long timeoutMs) throws InterruptedException {
        return metadata.awaitVersion(version, timeoutMs);
    }

    @Override
    public Registration onMembershipChange(Runnable listener) {
        return membership.onChange(nodes -> listener.run());
    }

    @Override
    public Registration onRoleChange(RoleListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Leaves the election (another node is elected at once) and the membership (a tombstone); the store stays. */
    @Override
    public void close() {
        closed = true;
        writer = false;
        WriterElection e = election;
        if (e != null) {
            e.close();
        }
        roles.shutdown();
        try {
            if (!roles.awaitTermination(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                log.warn("Node {}: a role change did not finish within {} ms of closing", self.id(),
                        CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        membership.close();
    }
}
