package dev.millrace.server.fanout;

import dev.millrace.protocol.EventStreamMessage;
import dev.millrace.protocol.WireFormat;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.records.RecordPage;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.TokenBucket;
import dev.millrace.storage.StoredRecord;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One SubscribeToShard subscription: pushes a shard's records to one consumer from a starting position, as
 * {@code SubscribeToShardEvent}s, for at most five minutes. An event goes out as soon as records are durable (a write
 * to the shard wakes the session), and at least every five seconds when there are none; at the end of a closed shard
 * the last event carries {@code ChildShards} and no continuation, and the stream ends.
 *
 * <p>Thread-safe: {@link #pump} runs on the fan-out executor, one run at a time per session (a flag makes a second
 * concurrent run a no-op that asks for another run afterwards).
 */
final class SubscribeSession {
    static final long MAX_DURATION_MS = 5 * 60_000;
    static final long HEARTBEAT_MS = 5_000;
    static final int MAX_EVENT_RECORDS = 10_000;
    static final long MAX_EVENT_BYTES = 2 * 1024 * 1024;
    static final long STALLED_CHECK_MS = 1_000;
    static final long RATE_PAUSE_MS = 50;

    private final FanOut fanOut;
    final String consumerArn;
    /** The consumer's name: the metrics' ConsumerName dimension. */
    private final String consumerName;
    /** The SubscribeToShard call's request id: names the session in the subscription rule's table. */
    final String sessionId;
    final String shardKey;
    final String streamName;
    final long streamEpochMs;
    final int shardIndex;
    final long startedMs;
    private final EventSink sink;
    private final TokenBucket rate;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile boolean ended;
    private long position;
    private long lastEventMs;
    /** The last continuation's position and the arrival time its number carries (-2: none yet). */
    private long continuationPosition = -2;
    private long continuationArrivalMs;
    /** The one pending timer (heartbeat, rate pause, stalled-peer check) and when it fires; guarded by {@code this}. */
    private ScheduledFuture<?> timer;
    private long timerDueMs;
    private long timerGeneration;

    SubscribeSession(FanOut fanOut, String consumerArn, String sessionId, StreamRecord stream, ShardRecord shard,
                     long position, EventSink sink, TokenBucket rate, long nowMs) {
        this.fanOut = fanOut;
        this.consumerArn = consumerArn;
        this.consumerName = FanOut.consumerName(consumerArn);
        this.sessionId = sessionId;
        this.shardKey = FanOut.shardKey(stream, shard);
        this.streamName = stream.name();
        this.streamEpochMs = stream.epochMs();
        this.shardIndex = shard.index();
        this.position = position;
        this.sink = sink;
        this.rate = rate;
        this.startedMs = nowMs;
        this.lastEventMs = nowMs;
    }

    boolean ended() {
        return ended;
    }

    /** Sends what there is to send, then arranges the next run. */
    void pump() {
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        try {
            do {
                again.set(false);
                if (ended) {
                    return;
                }
                runOnce();
            } while (again.get());
        } catch (RuntimeException e) {
            fail("InternalFailureException", "Internal failure while reading the shard: " + e, true);
        } finally {
            running.set(false);
        }
    }

    private void runOnce() {
        long now = fanOut.clock().millis();
        if (now - startedMs >= MAX_DURATION_MS) {
            finish();
            return;
        }
        Optional<String> gone = fanOut.checkStillThere(this);
        if (gone.isPresent()) {
            fail("ResourceNotFoundException", gone.get(), true);
            return;
        }
        if (!sink.writable()) {
            sink.whenWritable(() -> fanOut.schedule(this));
            // Still look again now and then: the 5-minute limit, deregistration and deletion apply to stalled peers.
            armTimer(now, Math.min(STALLED_CHECK_MS, MAX_DURATION_MS - (now - startedMs)));
            return;
        }
        if (rate != null && !rate.solvent()) {
            armTimer(now, RATE_PAUSE_MS);
            return;
        }
        StreamRecord stream = fanOut.stream(streamName).orElse(null);
        ShardRecord shard = stream == null ? null : stream.shard(shardIndex);
        if (shard == null) {
            fail("ResourceNotFoundException", "Shard " + ShardRecord.shardId(shardIndex) + " of stream "
                    + streamName + " no longer exists.", true);
            return;
        }
        RecordPage page = RecordPage.read(fanOut.log(stream, shard), stream, shard, position, MAX_EVENT_RECORDS,
                MAX_EVENT_BYTES);
        if (!page.records().isEmpty() || page.shardEnded() || now - lastEventMs >= HEARTBEAT_MS) {
            position = page.nextPosition();
            long millisBehind = page.millisBehindLatest(now);
            long sizeBytes = page.sizeBytes();
            // Rendered first (a record's key may be gone: then the event fails, counted as such by fail), counted
            // before it is sent: whoever has received it finds it counted.
            byte[] event = event(stream, shard, page, millisBehind);
            fanOut.meter(streamName).subscriptionEvent(consumerName, stream.shardLevelMetrics().isEmpty() ? null
                    : shard.shardId(), stream.shardLevelMetrics(),
                    page.records().size(), sizeBytes, millisBehind);
            sink.send(EventStreamMessage.event("SubscribeToShardEvent", event));
            lastEventMs = now;
            if (rate != null) {
                rate.charge(sizeBytes);
            }
            if (page.shardEnded()) {
                finish();
                return;
            }
        }
        if (!page.atEnd()) {
            again.set(true);
        } else {
            long untilHeartbeat = HEARTBEAT_MS - (now - lastEventMs);
            long untilEnd = MAX_DURATION_MS - (now - startedMs);
            armTimer(now, Math.min(untilHeartbeat, untilEnd));
        }
    }

    /**
     * Makes sure a run happens within {@code delayMs}. There is at most one timer per session: writes wake sessions
     * all the time, and a timer per wake-up would pile up by the hundred thousand.
     */
    private synchronized void armTimer(long nowMs, long delayMs) {
        long due = nowMs + Math.max(1, delayMs);
        if (timer != null && !timer.isDone() && timerDueMs <= due) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        long generation = ++timerGeneration;
        timerDueMs = due;
        // The firing timer forgets itself before it runs: the run usually arms the next timer, and a timer that is
        // still running is not "done", so it would otherwise block its own successor.
        timer = fanOut.scheduleIn(() -> {
            synchronized (this) {
                if (timerGeneration == generation) {
                    timer = null;
                }
            }
            pump();
        }, due - nowMs);
    }

    private synchronized void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private byte[] event(StreamRecord stream, ShardRecord shard, RecordPage page, long millisBehind) {
        WireWriter w = new WireWriter(WireFormat.JSON).startObject();
        page.writeRecords(w, fanOut.keys().atRest());
        if (page.shardEnded()) {
            w.nullValue("ContinuationSequenceNumber");
            page.writeChildShards(w);
        } else {
            w.string("ContinuationSequenceNumber", continuation(stream, shard, page.records(),
                    page.nextPosition() - 1));
        }
        return w.number("MillisBehindLatest", millisBehind).endObject().toBytes();
    }

    /**
     * The number of the record at {@code last}, the last one the consumer has seen (or skipped past): what it
     * resubscribes after. Its arrival time comes from the records just sent, else from the previous event, else from
     * the log; a record gone from the log (expired) or before the first one gets the shard's creation second, which
     * does not change where the number positions a reader.
     */
    private String continuation(StreamRecord stream, ShardRecord shard, List<StoredRecord> records, long last) {
        if (!records.isEmpty() && records.get(records.size() - 1).position() == last) {
            continuationArrivalMs = records.get(records.size() - 1).arrivalMs();
        } else if (continuationPosition != last) {
            continuationArrivalMs = SequenceNumbers.creationSecs(shard) * 1000;
            if (last >= 0) {
                List<StoredRecord> at = fanOut.log(stream, shard).read(last, 1, 1).records();
                if (!at.isEmpty() && at.get(0).position() == last) {
                    continuationArrivalMs = at.get(0).arrivalMs();
                }
            }
        }
        continuationPosition = last;
        return SequenceNumbers.of(shard, last, continuationArrivalMs);
    }

    /**
     * Ends the stream with a modelled exception event; {@code eventFailed} if it stands for an event that could not
     * be published (a sample of 0 of SubscribeToShardEvent.Success), not if a newer subscription took over.
     */
    void fail(String exceptionType, String message, boolean eventFailed) {
        if (!ended) {
            if (eventFailed) {
                fanOut.meter(streamName).subscriptionEventFailed(consumerName);
            }
            sink.send(EventStreamMessage.exception(exceptionType, message));
            finish();
        }
    }

    /** Ends the stream normally; the client subscribes again if it wants more. */
    void finish() {
        if (!ended) {
            ended = true;
            cancelTimer();
            sink.end();
            fanOut.removed(this);
        }
    }

    /** The peer went away: forget the session without writing anything more. */
    void abandon() {
        if (!ended) {
            ended = true;
            cancelTimer();
            fanOut.removed(this);
        }
    }
}
