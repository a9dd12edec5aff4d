package dev.millrace.server.state;

import dev.millrace.protocol.KinesisException;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-shard throughput limits (writes 1 MiB/s and 1,000 records/s; reads 2 MiB/s and 5 calls/s; GetShardIterator
 * 5/s) and per-operation control-plane rates, as token buckets on the injected clock. A bucket holds one second's
 * allowance, so a quiet shard can take a burst of that size at once. A GetRecords call is paid for by the bytes it
 * returned, after the fact: a 10 MiB answer leaves the read bucket about 8 MiB in debt, and calls fail until it has
 * refilled, about 5 seconds, which is AWS's documented cooldown.
 *
 * <p>Thread-safe.
 */
public final class Throttles {
    /** Control-plane operations and their AWS rate limits (calls per second per account, or per stream). */
    private static final Map<String, Double> OPERATION_RATES = Map.ofEntries(
            Map.entry("CreateStream", 5.0), Map.entry("DeleteStream", 5.0), Map.entry("SplitShard", 5.0),
            Map.entry("MergeShards", 5.0), Map.entry("DescribeStream", 10.0), Map.entry("UpdateShardCount", 10.0),
            Map.entry("ListStreams", 5.0), Map.entry("DescribeStreamSummary", 20.0),
            Map.entry("ListShards", 1000.0), Map.entry("UpdateStreamMode", 5.0));

    /**
     * The channel operations share one bucket of 5 calls per second per account ("5 TPS per account per Region for
     * the control-plane channel operations", channels quotas page).
     */
    private static final java.util.Set<String> CHANNEL_OPERATIONS = java.util.Set.of("CreateChannel",
            "DescribeChannel", "ListChannels", "UpdateChannel", "DeleteChannel");
    private static final String CHANNEL_BUCKET = "channel operations";
    private static final double CHANNEL_OPERATIONS_PER_SECOND = 5.0;

    private static final double DRY_RUNS_PER_SECOND = 1.0;

    private final Clock clock;
    private final ThroughputLimits limits;
    /** Each stream's shard throttles by shard index ({@link ShardMemo}): 3.6 % of a 1,000-shard PutRecords as a map. */
    private final ShardMemo<ShardThrottle> shards = new ShardMemo<>();
    private final ConcurrentHashMap<String, TokenBucket> operations = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TokenBucket> dryRuns = new ConcurrentHashMap<>();

    public Throttles(Clock clock, ThroughputLimits limits) {
        this.clock = clock;
        this.limits = limits;
    }

    public boolean enabled() {
        return limits.enabled();
    }

    /** The buckets of one shard. */
    public final class ShardThrottle {
        private final TokenBucket writeBytes = bucket(ThroughputLimits.WRITE_BYTES_PER_SECOND);
        private final TokenBucket writeRecords = bucket(ThroughputLimits.WRITE_RECORDS_PER_SECOND);
        private final TokenBucket readBytes = bucket(ThroughputLimits.READ_BYTES_PER_SECOND);
        private final TokenBucket readCalls = bucket(ThroughputLimits.READ_CALLS_PER_SECOND);
        private final TokenBucket iterators = bucket(ThroughputLimits.ITERATORS_PER_SECOND);

        /** Takes the allowance for a write of {@code records} records and {@code bytes} bytes, all or nothing. */
        public synchronized boolean tryWrite(int records, long bytes) {
            if (!limits.enabled()) {
                return true;
            }
            if (!writeBytes.tryTake(bytes)) {
                return false;
            }
            if (!writeRecords.tryTake(records)) {
                writeBytes.charge(-bytes);
                return false;
            }
            return true;
        }

        /** Admits a GetRecords call: within 5 calls per second, and not while a large read is being paid off. */
        public boolean tryRead() {
            return !limits.enabled() || (readBytes.solvent() && readCalls.tryTake(1));
        }

        /** Pays for the bytes a GetRecords call returned. */
        public void chargeRead(long bytes) {
            if (limits.enabled()) {
                readBytes.charge(bytes);
            }
        }

        public boolean tryIterator() {
            return !limits.enabled() || iterators.tryTake(1);
        }
    }

    private TokenBucket bucket(double perSecond) {
        double rate = perSecond * limits.scale();
        return new TokenBucket(clock, rate, rate);
    }

    public ShardThrottle shard(StreamRecord stream, ShardRecord shard) {
        return shards.get(stream, shard.index(), ShardThrottle::new);
    }

    /** Throws {@code LimitExceededException} if a control-plane operation is called faster than AWS allows. */
    public void checkOperation(String operation) {
        boolean channel = CHANNEL_OPERATIONS.contains(operation);
        Double rate = channel ? Double.valueOf(CHANNEL_OPERATIONS_PER_SECOND) : OPERATION_RATES.get(operation);
        if (!limits.enabled() || rate == null) {
            return;
        }
        TokenBucket bucket = operations.computeIfAbsent(channel ? CHANNEL_BUCKET : operation, op -> bucket(rate));
        if (!bucket.tryTake(1)) {
            throw KinesisException.limitExceeded("Rate exceeded for " + operation + ".");
        }
    }

    /** Dry runs: one per second per stream, over all operations, as AWS documents; beyond it ThrottlingException. */
    public void checkDryRun(StreamRegistry streams, StreamRecord stream) {
        if (!limits.enabled()) {
            return;
        }
        TokenBucket bucket = dryRuns.computeIfAbsent(stream.name() + "/" + stream.epochMs(),
                k -> new TokenBucket(clock, DRY_RUNS_PER_SECOND, DRY_RUNS_PER_SECOND));
        if (!bucket.tryTake(1)) {
            throw KinesisException.client("ThrottlingException", "Rate exceeded for DryRun requests on stream "
                    + stream.name() + " under account " + streams.account().id() + ".");
        }
    }

    public static KinesisException shardRateExceeded(StreamRegistry streams, StreamRecord s, ShardRecord shard) {
        return KinesisException.client("ProvisionedThroughputExceededException", "Rate exceeded for shard "
                + shard.shardId() + " in stream " + s.name() + " under account " + streams.account().id() + ".");
    }
}
