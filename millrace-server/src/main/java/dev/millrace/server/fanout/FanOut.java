package dev.millrace.server.fanout;

import dev.millrace.metrics.AccountMetrics;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteSink;
import dev.millrace.metrics.StreamMeter;
import dev.millrace.server.records.StreamKeys;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.EventStreamMessage;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.ConsumerRegistry;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.server.state.TokenBucket;
import dev.millrace.storage.AppendListener;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;

import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Enhanced fan-out: the live SubscribeToShard sessions, one per consumer and shard, and the threads that push to
 * them. A write to a shard wakes that shard's sessions: while a shard has sessions, FanOut listens to its log's
 * appends ({@link ShardLog#onAppend}), and the listener only schedules the sessions on the fan-out threads, so an
 * append never waits for a reader. A consumer may subscribe to a shard again only 5 seconds after its previous
 * subscription started, and the new one then takes over (the old one ends with ResourceInUseException). With
 * throughput limits on, each session sends at most 2 MiB/s.
 *
 * <p>Thread-safe: sessions are added and removed, and shards' listeners registered and closed, under this object's
 * monitor; the append listeners read a concurrent set and take no lock.
 */
public final class FanOut implements AutoCloseable {
    static final long RESUBSCRIBE_AFTER_MS = SubscriptionClaims.RESUBSCRIBE_AFTER_MS;
    static final double BYTES_PER_SECOND = 2 * 1024 * 1024;
    private static final long CHECK_EVERY_MS = 1_000;

    private final StreamRegistry streams;
    private final ConsumerRegistry consumers;
    private final Clock clock;
    private final ThroughputLimits limits;
    private final ScheduledExecutorService executor;
    private final boolean ownsExecutor;
    private final ConcurrentHashMap<String, SubscribeSession> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Watched> byShard = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<SubscribeSession, Long> lastCheckedMs = new ConcurrentHashMap<>();
    private volatile SubscriptionGate gate;
    private volatile StreamKeys keys = StreamKeys.NONE;
    private volatile AccountMetrics metrics;

    public FanOut(StreamRegistry streams, ConsumerRegistry consumers, Clock clock, ThroughputLimits limits,
                  int threads) {
        this(streams, consumers, clock, limits, newExecutor(threads), true);
    }

    /** Sessions pushed by a pool shared with other regions' fan-out; {@link #close} leaves it running. */
    public FanOut(StreamRegistry streams, ConsumerRegistry consumers, Clock clock, ThroughputLimits limits,
                  ScheduledExecutorService sharedExecutor) {
        this(streams, consumers, clock, limits, sharedExecutor, false);
    }

    private FanOut(StreamRegistry streams, ConsumerRegistry consumers, Clock clock, ThroughputLimits limits,
                   ScheduledExecutorService executor, boolean ownsExecutor) {
        this.streams = streams;
        this.consumers = consumers;
        this.clock = clock;
        this.limits = limits;
        this.executor = executor;
        this.ownsExecutor = ownsExecutor;
        this.gate = SubscriptionGate.local(new SubscriptionClaims(clock), this);
        this.metrics = new KinesisMetrics(clock, MinuteSink.NONE).account(streams.account().id(),
                streams.account().region());
    }

    /** Records subscriptions and events in {@code value} (the region's metrics); set once, at start. */
    public void useMetrics(AccountMetrics value) {
        this.metrics = value;
    }

    StreamMeter meter(String streamName) {
        return metrics.stream(streamName);
    }

    /** The consumer's name, as its ARN carries it ({@code ...:stream/S/consumer/NAME:CREATED}). */
    static String consumerName(String consumerArn) {
        int start = consumerArn.indexOf("/consumer/");
        if (start < 0) {
            return consumerArn;
        }
        start += "/consumer/".length();
        int end = consumerArn.indexOf(':', start);
        return consumerArn.substring(start, end < 0 ? consumerArn.length() : end);
    }

    /** Asks {@code gate} who may subscribe from now on (a cluster's shard owners); set at start. */
    public void useGate(SubscriptionGate gate) {
        this.gate = gate;
    }

    /** Tells how records are reported encrypted ({@link StreamKeys#atRest}); set once, at start. */
    public void useKeys(StreamKeys keys) {
        this.keys = keys;
    }

    StreamKeys keys() {
        return keys;
    }

    /** The refusal of a subscription within 5 seconds of the consumer's last one to the shard. */
    public static String refusal(String consumerArn, int shardIndex) {
        return "Another active subscription exists for consumer " + consumerArn + " on shard "
                + ShardRecord.shardId(shardIndex) + "; subscribe again after 5 seconds.";
    }

    /**
     * Ends this node's session {@code sessionId} of the consumer on the shard, if it still runs: a newer subscription,
     * here or through another node, took over.
     */
    public void revoke(String consumerArn, int shardIndex, String sessionId) {
        SubscribeSession existing = sessions.get(consumerArn + "|" + shardIndex);
        if (existing != null && existing.sessionId.equals(sessionId)) {
            existing.fail("ResourceInUseException", "A newer subscription of consumer " + consumerArn
                    + " to shard " + ShardRecord.shardId(shardIndex) + " took over.", false);
        }
    }

    /** The sessions of one shard, and the registration that wakes them when its log is appended to. */
    private static final class Watched {
        final Set<SubscribeSession> sessions = ConcurrentHashMap.newKeySet();
        Registration appends;
    }

    /** The threads that push to sessions: they read logs and write to sockets, never wait long. */
    public static ScheduledExecutorService newExecutor(int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, "millrace-fanout-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    Clock clock() {
        return clock;
    }

    /**
     * Starts a session, or throws {@code ResourceInUseException} if the consumer subscribed too recently (what
     * SubscribeToShard.RateExceeded counts).
     */
    public void subscribe(String consumerArn, StreamRecord stream, ShardRecord shard, long position, EventSink sink,
                          String requestId) {
        StreamMeter meter = meter(stream.name());
        String consumerName = consumerName(consumerArn);
        try {
            start(consumerArn, stream, shard, position, sink, requestId, meter, consumerName);
        } catch (KinesisException e) {
            meter.subscribed(consumerName, e.errorType().equals("ResourceInUseException")
                    ? StreamMeter.Subscription.RATE_EXCEEDED : StreamMeter.Subscription.FAILED);
            throw e;
        } catch (RuntimeException e) {
            meter.subscribed(consumerName, StreamMeter.Subscription.FAILED);
            throw e;
        }
    }

    /**
     * A SubscribeToShard call of the consumer refused before it reached {@link #subscribe} (its shard not found, a bad
     * starting position, the consumer or stream not ACTIVE): a failed subscription.
     */
    public void refused(String consumerArn, StreamRecord stream) {
        meter(stream.name()).subscribed(consumerName(consumerArn), StreamMeter.Subscription.FAILED);
    }

    private void start(String consumerArn, StreamRecord stream, ShardRecord shard, long position, EventSink sink,
                       String requestId, StreamMeter meter, String consumerName) {
        String key = consumerArn + "|" + shard.index();
        // Opened before anything is sent or published: a log that cannot be opened fails the call, not a session.
        ShardLog log = log(stream, shard);
        Account scope = streams.account();
        // The rule of one subscription per consumer and shard, cluster-wide; throws if the last one is too recent.
        gate.claim(scope, consumerArn, stream.name(), stream.epochMs(), shard.index(), requestId);
        SubscribeSession session;
        try {
            synchronized (this) {
                long now = clock.millis();
                TokenBucket rate = limits.enabled()
                        ? new TokenBucket(clock, BYTES_PER_SECOND * limits.scale(), BYTES_PER_SECOND * limits.scale())
                        : null;
                session = new SubscribeSession(this, consumerArn, requestId, stream, shard, position, sink, rate,
                        now);
                // Headers and initial-response go out before the session is published: a write to the shard may
                // wake it at once, and its first event must not overtake them.
                sink.start(requestId);
                sink.send(EventStreamMessage.initialResponse());
                // Counted before the session can run (an append wakes it once watched), so that none of its events
                // is counted before it.
                meter.subscribed(consumerName, StreamMeter.Subscription.ESTABLISHED);
                sessions.put(key, session);
                watch(log, session);
            }
        } catch (RuntimeException e) {
            gate.release(scope, consumerArn, stream.name(), stream.epochMs(), shard.index(), requestId);
            throw e;
        }
        sink.onClose(session::abandon);
        schedule(session);
    }

    /** Adds a session to its shard's, listening to the shard's appends if it is the first. Holds the monitor. */
    private void watch(ShardLog log, SubscribeSession session) {
        Watched watched = byShard.computeIfAbsent(session.shardKey, k -> new Watched());
        watched.sessions.add(session);
        if (watched.appends == null) {
            Set<SubscribeSession> waiting = watched.sessions;
            watched.appends = log.onAppend((logKey, result) -> waiting.forEach(this::schedule));
        }
    }

    /**
     * Wakes the sessions reading a shard, as an append to it does: for tests that move a manual clock and want the
     * sessions to look at it now.
     */
    public void wake(StreamRecord stream, ShardRecord shard) {
        Watched watched = byShard.get(shardKey(stream, shard));
        if (watched != null) {
            watched.sessions.forEach(this::schedule);
        }
    }

    void schedule(SubscribeSession session) {
        executor.execute(session::pump);
    }

    ScheduledFuture<?> scheduleIn(Runnable task, long delayMs) {
        return executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    /** Why the session must end (consumer deregistered, stream deleted), checked at most once a second. */
    Optional<String> checkStillThere(SubscribeSession session) {
        long now = clock.millis();
        Long last = lastCheckedMs.get(session);
        if (last != null && now - last < CHECK_EVERY_MS) {
            return Optional.empty();
        }
        lastCheckedMs.put(session, now);
        if (stream(session.streamName).filter(s -> s.epochMs() == session.streamEpochMs).isEmpty()) {
            return Optional.of("Stream " + session.streamName + " under account " + streams.account().id()
                    + " not found.");
        }
        try {
            consumers.find(session.consumerArn, null, null);
            return Optional.empty();
        } catch (KinesisException e) {
            return Optional.of(e.getMessage());
        }
    }

    Optional<StreamRecord> stream(String name) {
        return streams.find(name);
    }

    ShardLog log(StreamRecord stream, ShardRecord shard) {
        return streams.log(stream, shard);
    }

    synchronized void removed(SubscribeSession session) {
        sessions.remove(session.consumerArn + "|" + session.shardIndex, session);
        gate.release(streams.account(), session.consumerArn, session.streamName, session.streamEpochMs,
                session.shardIndex, session.sessionId);
        Watched watched = byShard.get(session.shardKey);
        if (watched != null && watched.sessions.remove(session) && watched.sessions.isEmpty()) {
            // The shard's last reader left: its appends need not be heard any more.
            byShard.remove(session.shardKey);
            watched.appends.close();
        }
        lastCheckedMs.remove(session);
    }

    /** Live sessions, for tests and metrics. */
    public int sessionCount() {
        return sessions.size();
    }

    static String shardKey(StreamRecord stream, ShardRecord shard) {
        return stream.name() + "/" + stream.epochMs() + "/" + shard.index();
    }

    /** Ends every session normally and stops its own threads; clients resubscribe elsewhere or later. */
    @Override
    public void close() {
        for (SubscribeSession s : sessions.values()) {
            s.finish();
        }
        if (ownsExecutor) {
            executor.shutdownNow();
        }
    }
}
