package dev.millrace.storage.log;

import dev.millrace.storage.AppendResult;
import dev.millrace.storage.PendingAppend;

/**
 * The second half of an {@link EmbeddedShardLog} append ({@link EmbeddedShardLog#begin}): waits for durability (the
 * WAL force under SYNC), publishes the batch and tells the shard's listeners, once.
 *
 * <p>Not thread-safe: used by the thread that began the append.
 */
final class ShardAppend implements PendingAppend {
    private final EmbeddedShardLog shard;
    private final AppendResult result;
    private final long end;
    private final long writtenIn;
    private final long lsn;
    private final long walEpoch;
    private final SegmentSnapshot written;
    private boolean done;

    ShardAppend(EmbeddedShardLog shard, AppendResult result, long end, long writtenIn, long lsn, long walEpoch,
                SegmentSnapshot written) {
        this.shard = shard;
        this.result = result;
        this.end = end;
        this.writtenIn = writtenIn;
        this.lsn = lsn;
        this.walEpoch = walEpoch;
        this.written = written;
    }

    @Override
    public AppendResult await() {
        if (done) {
            return result;
        }
        if (written != null) {
            shard.awaitWal(lsn, walEpoch, end, writtenIn, written);
        } else if (shard.config.durability() == DurabilityPolicy.SYNC) {
            shard.awaitDurable(end, writtenIn);
        }
        done = true;
        shard.endOutage(result.basePosition());
        // Outside both locks, and only now: the batch is durable as the policy requires and published to readers.
        shard.listeners.fire(shard.key(), result);
        return result;
    }
}
