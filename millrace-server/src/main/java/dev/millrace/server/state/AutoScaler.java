package dev.millrace.server.state;

import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * On-demand scaling. Every write attempt to an on-demand stream is metered per shard ({@link ShardTraffic}); every
 * {@code evaluateIntervalMs}, a shard whose demand over the window exceeds {@code hotFraction} of its write limit is
 * split at the hash key that divides its recent traffic, so a hot key range gets a shard of its own, and two adjacent
 * shards that have both stayed under {@code coldFraction} of the limit for {@code quietPeriodMs} are merged, down to
 * {@code minShards}. A shard is judged only once it has been open for a whole window. UpdateStreamWarmThroughput
 * pre-splits a stream to the requested capacity. Scaling never takes the account past its shard limit: it adds what
 * the limit leaves room for, and a stream being changed by a client is left for the next tick.
 *
 * <p>Thread-safe: traffic meters are thread-safe; {@link #tick} is called by one housekeeping thread (or a test).
 */
public final class AutoScaler {
    /** Scaling never takes a stream beyond this many open shards (AWS's per-stream maximum). */
    static final int MAX_WARM_SHARDS = 10_000;
    private final StreamRegistry streams;
    private final Clock clock;
    private final AutoScalingConfig config;
    private final ThroughputLimits limits;
    private final ConcurrentHashMap<String, ShardTraffic> traffic = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> lastBusyMs = new ConcurrentHashMap<>();
    private volatile Meters meters = this::localTraffic;

    /**
     * Where the write traffic of on-demand streams is metered: on this node alone ({@link #localTraffic}), or, in a
     * cluster, on each shard's owner, which meters every write to its shards whichever node received it.
     */
    @FunctionalInterface
    public interface Meters {
        /**
         * What the meters say now about the shards of {@code onDemand}, by shard key
         * ({@code StreamRegistry.shardKey}); a shard without traffic may be missing.
         */
        Map<String, ShardTraffic.Summary> traffic(List<StreamRecord> onDemand, long nowMs);
    }

    public AutoScaler(StreamRegistry streams, Clock clock, AutoScalingConfig config, ThroughputLimits limits) {
        this.streams = streams;
        this.clock = clock;
        this.config = config;
        this.limits = limits;
    }

    /** Reads traffic from {@code meters} from now on (a cluster's owners); set at start. */
    public void useMeters(Meters meters) {
        this.meters = meters;
    }

    /** What this node's own meters say about the shards of {@code onDemand} (see {@link Meters}). */
    public Map<String, ShardTraffic.Summary> localTraffic(List<StreamRecord> onDemand, long nowMs) {
        Map<String, ShardTraffic.Summary> out = new HashMap<>();
        for (StreamRecord s : onDemand) {
            for (ShardRecord shard : s.openShards()) {
                String key = StreamRegistry.shardKey(s, shard.index());
                ShardTraffic t = traffic.get(key);
                if (t != null) {
                    out.put(key, t.summary(nowMs));
                }
            }
        }
        return out;
    }

    /** The key the meters name a shard by. */
    public static String meterKey(StreamRecord s, int shardIndex) {
        return StreamRegistry.shardKey(s, shardIndex);
    }

    public AutoScalingConfig config() {
        return config;
    }

    /** Meters one write attempt; a no-op for provisioned streams. */
    public void record(StreamRecord s, ShardRecord shard, BigInteger hashKey, long bytes) {
        record(s, shard, HashKeys.high(hashKey), HashKeys.low(hashKey), bytes);
    }

    /** {@link #record(StreamRecord, ShardRecord, BigInteger, long)} with the key as halves ({@link HashKeys#high}). */
    public void record(StreamRecord s, ShardRecord shard, long hashHigh, long hashLow, long bytes) {
        if ("ON_DEMAND".equals(s.mode())) {
            BigInteger hashKey = HashKeys.of(hashHigh, hashLow);
            traffic.computeIfAbsent(StreamRegistry.shardKey(s, shard.index()),
                    k -> new ShardTraffic(config.windowSeconds())).record(clock.millis(), hashKey, bytes);
        }
    }

    /**
     * Looks at every on-demand stream once: splits hot shards, or else merges one cold pair. Does nothing on a
     * follower: scaling changes metadata, which only the writer does.
     */
    public void tick() {
        if (!streams.isWriter()) {
            return;
        }
        long now = clock.millis();
        List<StreamRecord> onDemand = new ArrayList<>();
        for (String name : streams.names()) {
            streams.find(name).filter(s -> "ON_DEMAND".equals(s.mode()) && s.status() == StreamStatus.ACTIVE)
                    .ifPresent(onDemand::add);
        }
        if (onDemand.isEmpty()) {
            return;
        }
        // Read once per tick: in a cluster this asks every node for its owned shards' traffic.
        Map<String, ShardTraffic.Summary> metered = meters.traffic(onDemand, now);
        for (StreamRecord s : onDemand) {
            streams.whenFree(s.name(), () -> evaluate(s.name(), now, metered));
        }
    }

    /** Called holding the stream's lock. */
    private void evaluate(String name, long now, Map<String, ShardTraffic.Summary> metered) {
        StreamRecord s = streams.find(name).orElse(null);
        if (s == null || !"ON_DEMAND".equals(s.mode()) || s.status() != StreamStatus.ACTIVE) {
            return;
        }
        if (s.warmThroughputMiBps() != null && s.openShards().size() < warmShards(s.warmThroughputMiBps())) {
            prewarm(name, s.warmThroughputMiBps(), MAX_WARM_SHARDS);
            return;
        }
        List<ShardRecord> open = s.openShards().stream()
                .sorted(Comparator.comparing(ShardRecord::startingHashKey)).toList();
        List<ShardRecord> hot = open.stream().filter(shard -> demand(s, shard, now, metered) > config.hotFraction())
                .toList();
        // Each split adds one open shard: within the account's room and the per-stream maximum.
        int room = Math.max(0, Math.min(streams.shardHeadroom(), MAX_WARM_SHARDS - open.size()));
        List<ShardRecord> splittable = hot.subList(0, Math.min(hot.size(), room));
        if (!splittable.isEmpty()) {
            streams.autoReshard(name, "on-demand split of hot shards", r -> splitAll(r, splittable, now, metered));
            return;
        }
        if (hot.isEmpty()) {
            mergeOneColdPair(s, open, now);
        }
    }

    /** Demand as a fraction of the shard's write limit: the larger of the bytes and the records fractions. */
    private double demand(StreamRecord s, ShardRecord shard, long now, Map<String, ShardTraffic.Summary> metered) {
        String key = StreamRegistry.shardKey(s, shard.index());
        ShardTraffic.Summary t = metered.get(key);
        double bytes = t == null ? 0 : t.bytesPerSecond() / (ThroughputLimits.WRITE_BYTES_PER_SECOND * limits.scale());
        double records = t == null ? 0
                : t.recordsPerSecond() / (ThroughputLimits.WRITE_RECORDS_PER_SECOND * limits.scale());
        double fraction = Math.max(bytes, records);
        if (fraction >= config.coldFraction()) {
            lastBusyMs.put(key, now);
        }
        boolean judged = now - shard.createdMs() >= config.windowSeconds() * 1000L;
        return judged ? fraction : 0;
    }

    private StreamRecord splitAll(StreamRecord r, List<ShardRecord> hot, long now,
                                  Map<String, ShardTraffic.Summary> metered) {
        List<ShardRecord> shards = r.shards();
        for (ShardRecord shard : hot) {
            ShardTraffic.Summary t = metered.get(StreamRegistry.shardKey(r, shard.index()));
            BigInteger at = t == null ? null : t.medianKey();
            BigInteger low = shard.startingHashKey().add(BigInteger.ONE);
            if (at == null || at.compareTo(low) < 0 || at.compareTo(shard.endingHashKey()) > 0) {
                at = shard.startingHashKey().add(shard.endingHashKey()).shiftRight(1).max(low);
            }
            if (at.compareTo(shard.endingHashKey()) > 0) {
                continue;
            }
            shards = Resharding.split(shards, shard.index(), at, now, streams.context(r.name())).shards();
        }
        return r.withShards(shards);
    }

    private void mergeOneColdPair(StreamRecord s, List<ShardRecord> open, long now) {
        if (open.size() <= config.minShards()) {
            return;
        }
        for (int i = 0; i + 1 < open.size(); i++) {
            ShardRecord a = open.get(i);
            ShardRecord b = open.get(i + 1);
            if (quiet(s, a, now) && quiet(s, b, now)) {
                streams.autoReshard(s.name(), "on-demand merge of cold shards", r -> r.withShards(
                        Resharding.merge(r.shards(), a.index(), b.index(), now, streams.context(r.name())).shards()));
                return;
            }
        }
    }

    private boolean quiet(StreamRecord s, ShardRecord shard, long now) {
        long busy = lastBusyMs.getOrDefault(StreamRegistry.shardKey(s, shard.index()), shard.createdMs());
        return now - Math.max(busy, shard.createdMs()) >= config.quietPeriodMs();
    }

    private int warmShards(int mibps) {
        return (int) Math.min(MAX_WARM_SHARDS, Math.ceil(mibps / limits.scale()));
    }

    /** The open shards that take {@code mibps} MiB/s of writes, at most {@code maxShards}. */
    public int warmShards(int mibps, int maxShards) {
        return Math.min(maxShards, warmShards(mibps));
    }

    /**
     * Pre-splits an on-demand stream so that its open shards can take {@code mibps} MiB/s of writes, as far as the
     * account's shard limit leaves room (the next tick goes on if room is made).
     */
    public void prewarm(String name, int mibps, int maxShards) {
        int needed = warmShards(mibps, maxShards);
        if (target(streams.get(name), needed) <= streams.get(name).openShards().size()) {
            return;
        }
        streams.autoReshard(name, "warm throughput of " + mibps + " MiB/s", r -> {
            int target = target(r, needed);
            return target <= r.openShards().size() ? r : r.withShards(
                    Resharding.uniform(r.shards(), target, clock.millis(), streams.context(name)).shards());
        });
    }

    private int target(StreamRecord s, int needed) {
        return (int) Math.min(needed, (long) s.openShards().size() + streams.shardHeadroom());
    }
}
