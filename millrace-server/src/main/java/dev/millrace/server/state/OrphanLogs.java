package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.LogStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Removes, at start-up, the shard logs of one region that belong to no shard of a stream in the metadata: left behind
 * when an append or read raced a DeleteStream and opened a log after the stream's logs were deleted, or when the
 * process stopped between committing a deletion and deleting the logs. A stream's metadata is always committed
 * before any of its logs is created, so a log without metadata is never a stream's data.
 *
 * <p>A log's key is {@code [prefix]<epochMs>-<stream name>-<shard index>} ({@link StreamRegistry#logKey}); stream
 * names may contain hyphens, so the name is everything between the first and the last hyphen.
 *
 * <p>Stateless, thread-safe.
 */
final class OrphanLogs {
    private static final Logger log = LoggerFactory.getLogger(OrphanLogs.class);

    private OrphanLogs() {
    }

    /** @param logPrefix what leads the account's region's log keys ({@link RegionMetadata#logPrefix}) */
    static void delete(LogStore logs, String logPrefix, Account account, Map<String, StreamRecord> streams) {
        int deleted = 0;
        for (String key : logs.shardKeys()) {
            String local;
            if (logPrefix.isEmpty()) {
                local = !key.isEmpty() && Character.isDigit(key.charAt(0)) ? key : null;
            } else {
                local = key.startsWith(logPrefix) ? key.substring(logPrefix.length()) : null;
            }
            // A shard key starts with a digit (its epoch); anything else is not this registry's to judge.
            if (local != null && !local.isEmpty() && Character.isDigit(local.charAt(0))
                    && !belongs(local, streams)) {
                logs.delete(key);
                deleted++;
            }
        }
        if (deleted > 0) {
            log.info("Deleted {} shard logs of deleted streams in {} of account {}", deleted, account.region(),
                    account.id());
        }
    }

    private static boolean belongs(String local, Map<String, StreamRecord> streams) {
        int first = local.indexOf('-');
        int last = local.lastIndexOf('-');
        if (first <= 0 || last <= first + 1) {
            return true; // not a key this registry makes: leave it alone
        }
        long epochMs;
        int index;
        try {
            epochMs = Long.parseLong(local.substring(0, first));
            index = Integer.parseInt(local.substring(last + 1));
        } catch (NumberFormatException e) {
            return true;
        }
        StreamRecord s = streams.get(local.substring(first + 1, last));
        return s != null && s.epochMs() == epochMs && (has(s.shards(), index) || has(s.pendingShards(), index));
    }

    private static boolean has(List<ShardRecord> shards, int index) {
        if (shards != null) {
            for (ShardRecord s : shards) {
                if (s.index() == index) {
                    return true;
                }
            }
        }
        return false;
    }
}
