package dev.millrace.server.records;

import dev.millrace.protocol.Account;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.Cluster;

import java.util.List;

/**
 * Which node writes a shard's records. On a node alone that is always this one ({@link #LOCAL}); on a node of a
 * cluster each shard has one owner among the live nodes, which appends, reads and counts the shard's limits, so that
 * they hold cluster-wide and the shard has one appender. {@link RecordWriter} asks it per shard of a call and sends
 * the entries of a shard owned elsewhere to their owner.
 *
 * <p>Implementations are thread-safe.
 */
public interface ShardPlacement {

    /** Every shard is this node's. */
    ShardPlacement LOCAL = new ShardPlacement() {
        @Override
        public Cluster.Node remoteOwner(Account scope, StreamRecord s, ShardRecord shard) {
            return null;
        }

        @Override
        public List<List<RecordWriter.Outcome>> appendAt(Cluster.Node owner, Account scope, StreamRecord s,
                                                         List<Group> groups) {
            throw new IllegalStateException("no shard is owned elsewhere");
        }
    };

    /** One shard's entries of a call. */
    record Group(ShardRecord shard, List<RecordWriter.Entry> entries) {
    }

    /** The node that owns {@code shard} of {@code s} in {@code scope} (an account's region), or null if it is this node. */
    Cluster.Node remoteOwner(Account scope, StreamRecord s, ShardRecord shard);

    /**
     * Has {@code owner} write each group to its shard as one batch, in one call however many groups; one outcome per
     * entry, group by group, in order. A failure to reach the owner fails every entry (a retryable
     * {@link RecordWriter.Failed}); entries whose shard the owner found sealed come back as {@link RecordWriter.Failed}
     * with a {@link dev.millrace.storage.ShardSealedException}, so the caller routes them again.
     */
    List<List<RecordWriter.Outcome>> appendAt(Cluster.Node owner, Account scope, StreamRecord s,
                                              List<Group> groups);
}
