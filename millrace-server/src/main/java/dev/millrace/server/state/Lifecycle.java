package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator's log of what happens to streams, shards and consumers: one INFO line per event on this class's logger,
 * naming the stream (or consumer), its ARN, account and region, never any record data. Each line also carries those
 * as key-value pairs ({@code event}, {@code stream}, {@code arn}, {@code account}, {@code region}, and
 * {@code consumer}/{@code shard} where they apply), which {@code --log-format json} writes as fields.
 *
 * <p>Events are logged where they are committed, so on a cluster only the metadata writer logs them, once. The
 * events: stream created, active, updating, deleting, deleted; shards split, merged, opened, closed; retention
 * changed; encryption started, stopped; capacity mode changed; consumer registered, active, deregistering,
 * deregistered.
 *
 * <p>Stateless; thread-safe.
 */
public final class Lifecycle {
    private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

    private Lifecycle() {
    }

    /** A new stream was committed. */
    static void created(Account account, StreamRecord s) {
        int shards = s.eventualOpenShardCount();
        stream("stream-created", account, s.name())
                .log("Stream {} created ({}, {} shard{}, {})", s.name(), s.mode(), shards, shards == 1 ? "" : "s",
                        where(account, s.name()));
        if (s.status() == StreamStatus.ACTIVE) {
            statusChanged(account, s);
        }
    }

    /** A stream's record was replaced: logs what an operator cares about that differs ({@code before} may be null). */
    static void changed(Account account, StreamRecord before, StreamRecord after) {
        if (before == null) {
            return;
        }
        String name = after.name();
        if (before.status() != after.status()) {
            statusChanged(account, after);
        }
        if (before.retentionHours() != after.retentionHours()) {
            stream("retention-changed", account, name).addKeyValue("retentionHours", after.retentionHours())
                    .log("Stream {} retention changed from {} to {} hours ({})", name, before.retentionHours(),
                            after.retentionHours(), where(account, name));
        }
        if (!java.util.Objects.equals(before.encryptionType(), after.encryptionType())) {
            if ("NONE".equals(after.encryptionType())) {
                stream("encryption-stopped", account, name)
                        .log("Stream {} encryption stopped ({})", name, where(account, name));
            } else {
                stream("encryption-started", account, name).addKeyValue("keyId", after.keyId())
                        .log("Stream {} encryption started with {} key {} ({})", name, after.encryptionType(),
                                after.keyId(), where(account, name));
            }
        }
        if (!java.util.Objects.equals(before.mode(), after.mode())) {
            stream("mode-changed", account, name).addKeyValue("mode", after.mode())
                    .log("Stream {} capacity mode changed from {} to {} ({})", name, before.mode(), after.mode(),
                            where(account, name));
        }
    }

    private static void statusChanged(Account account, StreamRecord s) {
        String status = s.status().name().toLowerCase(java.util.Locale.ROOT);
        stream("stream-" + status, account, s.name()).log("Stream {} {} ({})", s.name(),
                s.status() == StreamStatus.ACTIVE ? "is active" : "is " + status, where(account, s.name()));
    }

    /** A stream's record was removed after DELETING: it is gone with its shards' logs. */
    static void deleted(Account account, String name) {
        stream("stream-deleted", account, name).log("Stream {} deleted ({})", name, where(account, name));
    }

    /**
     * The open shards of {@code before} and {@code after} differ ({@code reason}: the operation or the auto-scaler):
     * one line per split (a parent closed into two children), per merge (two parents closed into one child), and per
     * shard opened or closed otherwise.
     */
    static void resharded(Account account, StreamRecord before, StreamRecord after, String reason) {
        Set<Integer> openBefore = indexes(before.openShards());
        Set<Integer> openAfter = indexes(after.openShards());
        List<ShardRecord> opened = new ArrayList<>();
        for (ShardRecord s : after.openShards()) {
            if (!openBefore.contains(s.index())) {
                opened.add(s);
            }
        }
        Map<Integer, List<ShardRecord>> childrenOf = new HashMap<>();
        Set<Integer> explained = new HashSet<>();
        String name = after.name();
        for (ShardRecord child : opened) {
            if (child.parentIndex() >= 0 && child.adjacentParentIndex() >= 0) {
                shard("shards-merged", account, name, child.shardId()).log("Stream {}: shards {} and {} merged into "
                        + "{} by {} ({})", name, ShardRecord.shardId(child.parentIndex()),
                        ShardRecord.shardId(child.adjacentParentIndex()), child.shardId(), reason,
                        where(account, name));
                explained.add(child.index());
                explained.add(child.parentIndex());
                explained.add(child.adjacentParentIndex());
            } else if (child.parentIndex() >= 0) {
                childrenOf.computeIfAbsent(child.parentIndex(), p -> new ArrayList<>()).add(child);
            }
        }
        childrenOf.forEach((parent, children) -> {
            if (children.size() == 2 && !openAfter.contains(parent)) {
                shard("shard-split", account, name, ShardRecord.shardId(parent)).log("Stream {}: shard {} split into "
                        + "{} and {} by {} ({})", name, ShardRecord.shardId(parent), children.get(0).shardId(),
                        children.get(1).shardId(), reason, where(account, name));
                explained.add(parent);
                children.forEach(c -> explained.add(c.index()));
            }
        });
        for (ShardRecord s : opened) {
            if (!explained.contains(s.index())) {
                shard("shard-opened", account, name, s.shardId()).log("Stream {}: shard {} opened by {} ({})", name,
                        s.shardId(), reason, where(account, name));
            }
        }
        for (ShardRecord s : before.openShards()) {
            if (!openAfter.contains(s.index()) && !explained.contains(s.index())) {
                shard("shard-closed", account, name, s.shardId()).log("Stream {}: shard {} closed by {} ({})", name,
                        s.shardId(), reason, where(account, name));
            }
        }
    }

    /** A consumer's status changed ({@code status} CREATING or ACTIVE at registration, ACTIVE, DELETING) or it went. */
    static void consumer(Account account, ConsumerRecord c, String event) {
        String arn = c.arn(account);
        log.atInfo().addKeyValue("event", "consumer-" + event).addKeyValue("stream", c.streamName())
                .addKeyValue("consumer", c.name()).addKeyValue("arn", arn).addKeyValue("account", account.id())
                .addKeyValue("region", account.region())
                .log("Consumer {} of stream {} {} ({}, account {}, region {})", c.name(), c.streamName(),
                        event.equals("active") ? "is active" : event, arn, account.id(), account.region());
    }

    private static LoggingEventBuilder stream(String event, Account account, String name) {
        return log.atInfo().addKeyValue("event", event).addKeyValue("stream", name)
                .addKeyValue("arn", account.streamArn(name)).addKeyValue("account", account.id())
                .addKeyValue("region", account.region());
    }

    private static LoggingEventBuilder shard(String event, Account account, String name, String shardId) {
        return stream(event, account, name).addKeyValue("shard", shardId);
    }

    /** The ARN, account and region, as each line's text ends. */
    private static String where(Account account, String name) {
        return account.streamArn(name) + ", account " + account.id() + ", region " + account.region();
    }

    private static Set<Integer> indexes(List<ShardRecord> shards) {
        Set<Integer> out = new HashSet<>();
        shards.forEach(s -> out.add(s.index()));
        return out;
    }
}
