package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends PutRecord (batch size 1) or PutRecords requests, at most {@code --concurrency} in flight, either back to back
 * (closed loop: a request leaves as soon as a slot is free) or at a fixed request rate (open loop: request {@code i}
 * is due at {@link OpenLoopSchedule#intendedNanos}; its latency runs from that time, so a request that had to wait
 * for a free slot or a late sender thread is charged for the wait).
 *
 * <p>Each in-flight request owns a {@link Slot}: one record buffer, shared by every record of the request (or, for a
 * payload whose records must differ, {@link RecordPayload#distinctRecords}, one per record of the request), and the
 * request objects built once at start that wrap it (one per stream, and for PutRecord a few per stream with different
 * partition keys). Sending stamps the send time into the buffer and hands a prebuilt request to the SDK (or, with
 * {@code --put-client lean}, writes the same request's body from the same buffers); nothing is allocated per record.
 * A slot goes back to the free queue only when its response (or failure) has arrived, so the SDK never reads a
 * buffer that is being stamped for the next request.
 *
 * <p>Thread-safe: sender threads take slots from a blocking queue, completions (on the SDK's Netty threads) put them
 * back; counters are adders and atomics. A slot's fields are written by the sender before the SDK call and read by
 * the completion after it, ordered by the SDK's future.
 */
final class Producer {
    /** PutRecord request variants per stream and slot, so that one slot's requests still spread over the shards. */
    private static final int SINGLE_RECORD_KEY_VARIANTS = 16;
    /**
     * How long before a request is due an open-loop sender stops parking and spins. {@code parkNanos} wakes up late
     * by the kernel's timer slack (50 µs by default) plus the scheduler's delay, and that lateness (p50 ~90 µs when
     * it parked to the due time) is charged to the request's latency, which is meant to be the server's.
     */
    private static final long SPIN_NANOS = 100_000;
    /**
     * Senders spin only up to this rate (over all of them): spinning costs up to {@code SPIN_NANOS} per request,
     * here at most a fifth of one core, which the server on the same machine would otherwise have.
     */
    private static final double MAX_SPIN_REQUESTS_PER_S = 2_000;

    private static final SerializedString STREAM_NAME = new SerializedString("StreamName");
    private static final SerializedString RECORDS = new SerializedString("Records");
    private static final SerializedString PARTITION_KEY = new SerializedString("PartitionKey");
    private static final SerializedString DATA = new SerializedString("Data");

    /** The error an overloaded endpoint sheds load with (503), told apart from other failures in the report. */
    static final String SHED = "ServiceUnavailableException";

    private final BenchSettings settings;
    private final KinesisAsyncClient client;
    /** The lean client for PutRecord and PutRecords ({@code --put-client lean}), or null to send with the SDK's. */
    private final LeanKinesis lean;
    private final RunClock clock;
    private final ErrorCounts errors;
    private final String operation;
    private final Slot[] slots;
    private final ArrayBlockingQueue<Slot> freeSlots;
    private final AtomicLong nextIndex = new AtomicLong();
    private final AtomicLong measuredIssued = new AtomicLong();
    private final AtomicReference<Throwable> senderFailure = new AtomicReference<>();

    final LatencyHistogram requestLatency = new LatencyHistogram();
    /** The measured requests' latency again, by outcome: answered 200, shed (503 ServiceUnavailable), failed. */
    final LatencyHistogram servedLatency = new LatencyHistogram();
    final LatencyHistogram shedLatency = new LatencyHistogram();
    final LatencyHistogram failedLatency = new LatencyHistogram();
    /**
     * Served and shed again, from when each request actually left rather than when it was due: the endpoint's part
     * alone. Where the generator fell behind its schedule (send lag), the difference is the generator's.
     */
    final LatencyHistogram servedFromSend = new LatencyHistogram();
    final LatencyHistogram shedFromSend = new LatencyHistogram();
    /** With --recovery-rate: the calls after the load dropped, and the answer time of the last not recovered. */
    final LatencyHistogram recoveryLatency = new LatencyHistogram();
    final LongAdder recoveryServed = new LongAdder();
    final LongAdder recoveryShed = new LongAdder();
    final LongAdder recoveryFailed = new LongAdder();
    final LongAdder recoverySlow = new LongAdder();
    final AtomicLong lastUnrecoveredNanos = new AtomicLong();
    /** With --recovery-rate: overload requests the generator had not sent when the load dropped (left out). */
    final LongAdder unsentAtDrop = new LongAdder();
    /** Open loop only: how late each measured request left, against its intended time. */
    final LatencyHistogram sendLag = new LatencyHistogram();
    final LongAdder requestsMeasured = new LongAdder();
    final LongAdder recordsAttemptedMeasured = new LongAdder();
    final LongAdder recordsAckedMeasured = new LongAdder();
    final LongAdder recordsFailedMeasured = new LongAdder();
    final LongAdder bytesAckedMeasured = new LongAdder();
    /** Acknowledged records including the warm-up: what a backlog reader must find. */
    final LongAdder recordsAckedAll = new LongAdder();
    final AtomicLong lastMeasuredCompletionNanos = new AtomicLong();
    /** Open loop only: the most requests that were due but not yet sent, seen by a sender. */
    final AtomicLong maxBacklogRequests = new AtomicLong();

    private OpenLoopSchedule schedule;
    /** With --recovery-rate: request {@code firstPhaseRequests + i} is its schedule's request {@code i}. */
    private OpenLoopSchedule recoverySchedule;
    private long firstPhaseRequests;
    private long recoveryEndNanos;
    private long recoveredLatencyNanos;
    private long spinNanos;
    private long measureEndNanos;
    private long measuredRequestsTarget;
    private Thread[] senders;

    Producer(BenchSettings settings, KinesisAsyncClient client, LeanKinesis lean, List<String> streamNames,
             RunClock clock, ErrorCounts errors, long runId) {
        this.settings = settings;
        this.client = client;
        this.lean = lean;
        this.clock = clock;
        this.errors = errors;
        this.operation = settings.singleRecordPuts() ? "PutRecord" : "PutRecords";
        String[] keys = new String[settings.partitionKeys()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = "pk-" + i;
        }
        SplittableRandom random = new SplittableRandom(runId);
        java.time.Instant now = clock.wall().instant(); // JSON records' ts (a table partitions by it)
        this.slots = new Slot[settings.concurrency()];
        this.freeSlots = new ArrayBlockingQueue<>(slots.length);
        for (int s = 0; s < slots.length; s++) {
            byte[][] buffers = new byte[settings.payload().distinctRecords() ? settings.batchSize() : 1][];
            for (int b = 0; b < buffers.length; b++) {
                buffers[b] = settings.payload().newBuffer(settings.recordBytes(), runId, random, now);
            }
            slots[s] = new Slot(s, buffers, streamNames, keys);
            freeSlots.add(slots[s]);
        }
    }

    /**
     * Starts the sender threads: warm-up until {@code measureStartNanos} (already set on the run clock), then the
     * measured part, until {@code --records} measured records were sent or {@code --duration-s} passed.
     */
    void start(long startNanos) {
        long measureStart = clock.measureStartNanos();
        measureEndNanos = measureStart + TimeUnit.SECONDS.toNanos(settings.durationS());
        measuredRequestsTarget = settings.records().orElse(0) / settings.batchSize();
        if (settings.openLoop()) {
            schedule = new OpenLoopSchedule(startNanos, settings.rate().getAsDouble());
            spinNanos = settings.rate().getAsDouble() <= MAX_SPIN_REQUESTS_PER_S ? SPIN_NANOS : 0;
            settings.recovery().ifPresent(r -> {
                firstPhaseRequests = schedule.dueBy(measureEndNanos - 1);
                recoverySchedule = new OpenLoopSchedule(measureEndNanos, r.requestsPerS());
                recoveryEndNanos = measureEndNanos + TimeUnit.SECONDS.toNanos(r.durationS());
                recoveredLatencyNanos = TimeUnit.MILLISECONDS.toNanos(r.recoveredLatencyMs());
            });
        }
        senders = new Thread[settings.senderThreads()];
        for (int i = 0; i < senders.length; i++) {
            senders[i] = new Thread(this::sendLoop, "bench-sender-" + i);
            senders[i].setDaemon(true);
            senders[i].start();
        }
    }

    private void sendLoop() {
        try {
            while (true) {
                long index = nextIndex.getAndIncrement();
                long intendedNanos = 0;
                boolean recovery = recoverySchedule != null && index >= firstPhaseRequests;
                if (recovery) {
                    intendedNanos = recoverySchedule.intendedNanos(index - firstPhaseRequests);
                    if (intendedNanos >= recoveryEndNanos) {
                        return;
                    }
                    parkUntil(intendedNanos, spinNanos);
                    freeSlots.take().send(index, intendedNanos, false, true);
                    continue;
                }
                if (schedule != null) {
                    intendedNanos = schedule.intendedNanos(index);
                    if (settings.records().isEmpty() && intendedNanos >= measureEndNanos) {
                        return;
                    }
                    parkUntil(intendedNanos, spinNanos);
                }
                Slot slot = freeSlots.take();
                if (recoverySchedule != null && System.nanoTime() >= measureEndNanos) {
                    // The load has dropped: what the overload part could not send by then is not sent late, or the
                    // recovery would be the generator's catching up, not the endpoint's.
                    freeSlots.add(slot);
                    unsentAtDrop.increment();
                    continue;
                }
                long startNanos = schedule != null ? intendedNanos : System.nanoTime();
                boolean measured = startNanos >= clock.measureStartNanos();
                if (measured && !claimMeasured(startNanos)) {
                    freeSlots.add(slot);
                    return;
                }
                if (schedule != null && measured) {
                    long now = System.nanoTime();
                    sendLag.record(now - intendedNanos);
                    maxBacklogRequests.accumulateAndGet(schedule.dueBy(now) - index - 1, Math::max);
                }
                slot.send(index, startNanos, measured, false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            senderFailure.compareAndSet(null, e);
        } catch (RuntimeException | Error e) {
            senderFailure.compareAndSet(null, e);
        }
    }

    /** Whether another measured request may go: the record target is not reached, or the duration not over. */
    private boolean claimMeasured(long startNanos) {
        if (measuredRequestsTarget > 0) {
            return measuredIssued.getAndIncrement() < measuredRequestsTarget;
        }
        return startNanos < measureEndNanos;
    }

    private static void parkUntil(long deadlineNanos, long spinNanos) {
        long parkUntilNanos = deadlineNanos - spinNanos;
        long remaining;
        while ((remaining = parkUntilNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(remaining);
        }
        while (System.nanoTime() < deadlineNanos) {
            Thread.onSpinWait();
        }
    }

    /**
     * Waits for the senders to stop and every request to be answered; returns when the last measured one was.
     * Fails if a sender failed or a request is still unanswered after {@code timeout} (the SDK's call timeout is
     * shorter, so that would be a bug, not a slow server).
     */
    long awaitCompletion(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread sender : senders) {
            sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (sender.isAlive()) {
                throw new IllegalStateException("sender " + sender.getName() + " still running after " + timeout);
            }
        }
        for (int i = 0; i < slots.length; i++) {
            if (freeSlots.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS) == null) {
                throw new IllegalStateException((slots.length - i) + " requests still unanswered after " + timeout);
            }
        }
        if (senderFailure.get() != null) {
            throw new IllegalStateException("the producer failed", senderFailure.get());
        }
        return lastMeasuredCompletionNanos.get();
    }

    /** Counts a request's outcome and frees its slot, whatever happens while counting. */
    private void completed(Slot slot, Object response, Throwable failure) {
        try {
            count(slot, response, failure);
        } catch (RuntimeException | Error e) {
            // Thrown in an SDK callback it would vanish; awaitCompletion reports it instead.
            senderFailure.compareAndSet(null, e);
        } finally {
            freeSlots.add(slot);
        }
    }

    private void count(Slot slot, Object response, Throwable failure) {
        long nowNanos = System.nanoTime();
        int batch = settings.batchSize();
        long acked;
        if (failure != null) {
            errors.failedCall(operation, failure);
            acked = 0;
        } else if (response instanceof PutRecordsResponse r && r.failedRecordCount() != null
                && r.failedRecordCount() > 0) {
            acked = batch - countFailedEntries(r);
        } else if (response instanceof PutRecordsAnswer a && (a.failedRecordCount() > 0 || a.failedEntries() > 0)) {
            acked = batch - countFailedEntries(a);
        } else {
            acked = batch;
        }
        recordsAckedAll.add(acked);
        boolean shed = failure != null && SHED.equals(ErrorCounts.errorType(failure));
        long latencyNanos = nowNanos - slot.startNanos;
        if (slot.recovery) {
            countRecovery(nowNanos, latencyNanos, failure, shed);
        }
        if (slot.measured) {
            // Failed calls are in the latency too: leaving out a call that timed out would hide the stall.
            requestLatency.record(latencyNanos);
            (failure == null ? servedLatency : shed ? shedLatency : failedLatency).record(latencyNanos);
            if (failure == null || shed) {
                (failure == null ? servedFromSend : shedFromSend).record(nowNanos - slot.sentNanos);
            }
            requestsMeasured.increment();
            recordsAttemptedMeasured.add(batch);
            recordsAckedMeasured.add(acked);
            recordsFailedMeasured.add(batch - acked);
            bytesAckedMeasured.add(acked * settings.recordBytes());
            lastMeasuredCompletionNanos.accumulateAndGet(nowNanos, Math::max);
        }
    }

    private void countRecovery(long nowNanos, long latencyNanos, Throwable failure, boolean shed) {
        recoveryLatency.record(latencyNanos);
        (failure == null ? recoveryServed : shed ? recoveryShed : recoveryFailed).increment();
        boolean slow = failure == null && latencyNanos > recoveredLatencyNanos;
        if (slow) {
            recoverySlow.increment();
        }
        if (failure != null || slow) {
            lastUnrecoveredNanos.accumulateAndGet(nowNanos, Math::max);
        }
    }

    /**
     * How long after the load dropped the last call not yet recovered was answered (0 if none was); meaningful with
     * --recovery-rate only.
     */
    long recoveryNanos() {
        long last = lastUnrecoveredNanos.get();
        return last == 0 ? 0 : Math.max(0, last - measureEndNanos);
    }

    private long countFailedEntries(PutRecordsResponse response) {
        long failed = 0;
        for (PutRecordsResultEntry entry : response.records()) {
            if (entry.errorCode() != null) {
                errors.failedRecords(operation, entry.errorCode(), 1, entry.errorMessage());
                failed++;
            }
        }
        if (failed != response.failedRecordCount()) {
            // The response contradicts itself; count the larger number rather than trust either.
            errors.failedRecords(operation, "FailedRecordCountMismatch", 1, "FailedRecordCount "
                    + response.failedRecordCount() + " but " + failed + " entries with an ErrorCode");
            failed = Math.max(failed, response.failedRecordCount());
        }
        return failed;
    }

    /** The lean client's answer, counted as {@link #countFailedEntries(PutRecordsResponse)} counts the SDK's. */
    private long countFailedEntries(PutRecordsAnswer answer) {
        for (int i = 0; i < answer.distinctCodes(); i++) {
            errors.failedRecords(operation, answer.code(i), answer.count(i), answer.message(i));
        }
        long failed = answer.failedEntries();
        if (failed != answer.failedRecordCount()) {
            errors.failedRecords(operation, "FailedRecordCountMismatch", 1, "FailedRecordCount "
                    + answer.failedRecordCount() + " but " + failed + " entries with an ErrorCode");
            failed = Math.max(failed, answer.failedRecordCount());
        }
        return failed;
    }

    /**
     * One in-flight request's buffer and prebuilt requests.
     *
     * <p>Not thread-safe on its own: owned by one sender between {@code take} and the SDK call, then by the
     * completion until it is put back on the free queue.
     */
    private final class Slot {
        /** The records' buffers: entry i of a request carries {@code buffers[i % buffers.length]}. */
        final byte[][] buffers;
        final PutRecordRequest[][] single;
        final PutRecordsRequest[] batch;
        /** This slot's own connection with {@code --put-client lean} (a connection carries one request at a time). */
        final LeanKinesis.Connection connection;
        /**
         * Lean PutRecords only: the streams' names and the entries' partition keys, encoded once (the generator
         * copies their bytes into each request), the body writer and the answer, reused by every request.
         */
        final SerializedString[] leanStreamNames;
        final SerializedString[] leanKeys;
        final LeanKinesis.BodyWriter leanPutRecordsBody = this::writePutRecords;
        final PutRecordsAnswer leanAnswer;
        /** The stream of the request being sent: set before the lean call, read by its body writer. */
        int stream;
        int nextVariant;
        long startNanos;
        /** When the request actually left (later than startNanos when an open-loop sender fell behind). */
        long sentNanos;
        boolean measured;
        /** Sent at --recovery-rate, after the load dropped. */
        boolean recovery;

        Slot(int slotIndex, byte[][] buffers, List<String> streamNames, String[] keys) {
            this.buffers = buffers;
            this.connection = lean == null ? null : lean.connection();
            SdkBytes data = SdkBytes.fromByteArrayUnsafe(buffers[0]);
            int streams = streamNames.size();
            if (settings.singleRecordPuts()) {
                this.batch = null;
                int variants = Math.min(SINGLE_RECORD_KEY_VARIANTS, keys.length);
                this.single = new PutRecordRequest[streams][variants];
                for (int s = 0; s < streams; s++) {
                    for (int v = 0; v < variants; v++) {
                        String key = keys[(slotIndex * variants + v) % keys.length];
                        single[s][v] = PutRecordRequest.builder().streamName(streamNames.get(s)).partitionKey(key)
                                .data(data).build();
                    }
                }
            } else {
                this.single = null;
                List<PutRecordsRequestEntry> entries = new ArrayList<>(settings.batchSize());
                for (int i = 0; i < settings.batchSize(); i++) {
                    String key = keys[(int) (((long) slotIndex * settings.batchSize() + i) % keys.length)];
                    entries.add(PutRecordsRequestEntry.builder().partitionKey(key)
                            .data(SdkBytes.fromByteArrayUnsafe(buffers[i % buffers.length])).build());
                }
                this.batch = new PutRecordsRequest[streams];
                for (int s = 0; s < streams; s++) {
                    batch[s] = PutRecordsRequest.builder().streamName(streamNames.get(s)).records(entries).build();
                }
            }
            boolean leanBatches = connection != null && batch != null;
            this.leanStreamNames = leanBatches
                    ? streamNames.stream().map(SerializedString::new).toArray(SerializedString[]::new) : null;
            this.leanKeys = leanBatches ? batch[0].records().stream()
                    .map(e -> new SerializedString(e.partitionKey())).toArray(SerializedString[]::new) : null;
            this.leanAnswer = leanBatches ? new PutRecordsAnswer() : null;
        }

        void send(long requestIndex, long sendNanos, boolean isMeasured, boolean isRecovery) {
            this.startNanos = sendNanos;
            this.sentNanos = System.nanoTime();
            this.measured = isMeasured;
            this.recovery = isRecovery;
            for (byte[] buffer : buffers) {
                settings.payload().stampSendNanos(buffer, sendNanos);
            }
            stream = (int) (requestIndex % (single != null ? single.length : batch.length));
            CompletableFuture<?> call;
            try {
                if (single != null) {
                    PutRecordRequest[] variants = single[stream];
                    nextVariant = (nextVariant + 1) % variants.length;
                    call = connection != null ? leanPutRecord(variants[nextVariant])
                            : client.putRecord(variants[nextVariant]);
                } else {
                    call = connection != null ? connection.call("PutRecords", leanPutRecordsBody, leanAnswer::read)
                            : client.putRecords(batch[stream]);
                }
            } catch (RuntimeException e) {
                // The SDK reports failures through the future; one thrown here is still this request's failure.
                completed(this, null, e);
                return;
            }
            call.whenComplete((response, failure) -> completed(this, response, failure));
        }

        /**
         * The same request as the prebuilt SDK one for {@link #stream}, as the lean client sends it: names and keys
         * from their encoded bytes, each record's data straight from its (stamped) buffer.
         */
        private void writePutRecords(JsonGenerator g) throws IOException {
            g.writeFieldName(STREAM_NAME);
            g.writeString(leanStreamNames[stream]);
            g.writeFieldName(RECORDS);
            g.writeStartArray();
            SerializedString[] keys = leanKeys;
            byte[][] data = buffers;
            for (int i = 0; i < keys.length; i++) {
                g.writeStartObject();
                g.writeFieldName(PARTITION_KEY);
                g.writeString(keys[i]);
                g.writeFieldName(DATA);
                g.writeBinary(data[i % data.length]);
                g.writeEndObject();
            }
            g.writeEndArray();
        }

        /** The prebuilt SDK request, sent on the lean connection: same stream, key and (stamped) buffer. */
        private CompletableFuture<String> leanPutRecord(PutRecordRequest request) {
            return connection.call("PutRecord", g -> {
                g.writeStringField("StreamName", request.streamName());
                g.writeStringField("PartitionKey", request.partitionKey());
                g.writeBinaryField("Data", buffers[0]);
            }, PutRecordAnswer::sequenceNumber);
        }
    }
}
