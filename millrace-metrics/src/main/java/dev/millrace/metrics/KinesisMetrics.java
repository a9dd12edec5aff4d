package dev.millrace.metrics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's {@code AWS/Kinesis} metrics: one {@link AccountMetrics} per account and region, each minute's aggregates
 * handed to a {@link MinuteSink} once the minute is over ({@link #publishEnded}, called every few seconds by the
 * server), and all-time totals read by the Prometheus exposition ({@link KinesisCollector}).
 *
 * <p>Thread-safe: recording is lock-free ({@link StreamMeter}); {@link #publishEnded} is serialized.
 */
public final class KinesisMetrics {
    private static final Logger log = LoggerFactory.getLogger(KinesisMetrics.class);
    /**
     * How long after a minute ends it is published: long enough that a call that read the clock in the minute has
     * added its values (a thread would have to stall this long between two lines to lose them).
     */
    public static final long PUBLISH_GRACE_MS = 2_000;
    /** A stream, shard or consumer with nothing recorded for this long is forgotten (bounds the memory kept). */
    public static final long FORGET_IDLE_MS = 60 * 60_000;

    private final Clock clock;
    private final ConcurrentHashMap<String, AccountMetrics> accounts = new ConcurrentHashMap<>();
    private volatile MinuteSink sink;

    public KinesisMetrics(Clock clock, MinuteSink sink) {
        this.clock = clock;
        this.sink = sink;
    }

    /** Sends ended minutes to {@code sink} from now on (the application connects the CloudWatch store). */
    public void useSink(MinuteSink value) {
        this.sink = value;
    }

    /** The metrics of account {@code accountId} in {@code region}. */
    public AccountMetrics account(String accountId, String region) {
        return accounts.computeIfAbsent(accountId + "/" + region, k -> new AccountMetrics(accountId, region, clock));
    }

    /**
     * Hands every minute that ended at least {@link #PUBLISH_GRACE_MS} ago to the sink, one call per account and
     * region with anything to say, and forgets what has been idle for {@link #FORGET_IDLE_MS}. A sink that throws
     * loses that account's minutes, not the others'.
     */
    public synchronized void publishEnded() {
        long now = clock.millis();
        for (AccountMetrics account : accounts.values()) {
            List<MinuteAggregate> out = new ArrayList<>();
            for (StreamMeter meter : account.streams()) {
                meter.publishEnded(now - PUBLISH_GRACE_MS, now - FORGET_IDLE_MS, out);
            }
            for (MappingMeter meter : account.mappings()) {
                meter.publishEnded(now - PUBLISH_GRACE_MS, out);
            }
            account.forgetIdle(now - FORGET_IDLE_MS);
            if (!out.isEmpty()) {
                try {
                    sink.publish(account.accountId(), account.region(), out);
                } catch (RuntimeException e) {
                    log.warn("Metrics of account {} in {}: {} minute aggregates were not published", account
                            .accountId(), account.region(), out.size(), e);
                }
            }
        }
    }

    Collection<AccountMetrics> accounts() {
        return accounts.values();
    }
}
