package dev.millrace.metrics;

import java.time.Clock;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metrics of one account's region: a {@link StreamMeter} per stream name (a stream deleted and created again
 * under its name keeps its metrics, as on AWS, where metrics are named by dimensions only), and a
 * {@link MappingMeter} per event source mapping.
 *
 * <p>Thread-safe.
 */
public final class AccountMetrics {
    private final String accountId;
    private final String region;
    private final Clock clock;
    private final ConcurrentHashMap<String, StreamMeter> streams = new ConcurrentHashMap<>();
    /** By function name and mapping UUID: a mapping moved to another function has series of its own there. */
    private final ConcurrentHashMap<String, MappingMeter> mappings = new ConcurrentHashMap<>();

    AccountMetrics(String accountId, String region, Clock clock) {
        this.accountId = accountId;
        this.region = region;
        this.clock = clock;
    }

    /** The meter of stream {@code name}; on the hot path, so one map read when it exists. */
    public StreamMeter stream(String name) {
        StreamMeter m = streams.get(name);
        return m != null ? m : streams.computeIfAbsent(name, n -> new StreamMeter(clock, n));
    }

    /**
     * The meter of event source mapping {@code uuid} invoking function {@code functionName} (UpdateEventSourceMapping
     * can change the function: the old meter is then forgotten an hour after its last value).
     */
    public MappingMeter mapping(String functionName, String uuid) {
        // A space is in neither a function name nor a UUID.
        String key = functionName + " " + uuid;
        MappingMeter m = mappings.get(key);
        return m != null ? m : mappings.computeIfAbsent(key, k -> new MappingMeter(clock, functionName, uuid));
    }

    public String accountId() {
        return accountId;
    }

    public String region() {
        return region;
    }

    Collection<StreamMeter> streams() {
        return streams.values();
    }

    Collection<MappingMeter> mappings() {
        return mappings.values();
    }

    /**
     * Forgets streams idle since {@code sinceMs}. A call that looked its meter up just before and records just after
     * records into a forgotten meter: after an hour of silence, a race of microseconds, and its values are lost.
     */
    void forgetIdle(long sinceMs) {
        streams.values().removeIf(m -> m.idleSince(sinceMs));
        mappings.values().removeIf(m -> m.idleSince(sinceMs));
    }
}
