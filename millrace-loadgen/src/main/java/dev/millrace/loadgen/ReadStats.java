package dev.millrace.loadgen;

import software.amazon.awssdk.services.kinesis.model.Record;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one kind of reader (polling or fan-out) got back: records and bytes of this run, those sent after the warm-up
 * ("measured"), when the last measured one arrived, and the put-to-read latency of each measured record (arrival in
 * this JVM minus the send time the producer wrote into it; producer and readers share {@link System#nanoTime()}).
 *
 * <p>Thread-safe: every reader of the kind adds to the same instance.
 */
final class ReadStats {
    private final long runId;
    private final RecordPayload payload;
    private final RunClock clock;
    private final boolean latencies;
    final LatencyHistogram putToRead = new LatencyHistogram();
    final LongAdder recordsAll = new LongAdder();
    final LongAdder bytesAll = new LongAdder();
    final LongAdder recordsMeasured = new LongAdder();
    final LongAdder bytesMeasured = new LongAdder();
    final LongAdder foreignRecords = new LongAdder();
    final LongAdder calls = new LongAdder();
    final AtomicLong lastMeasuredReadNanos = new AtomicLong();
    final AtomicLong lastReadNanos = new AtomicLong();

    /** {@code latencies}: false when records are read long after they were put (a backlog read). */
    ReadStats(long runId, RecordPayload payload, RunClock clock, boolean latencies) {
        this.runId = runId;
        this.payload = payload;
        this.clock = clock;
        this.latencies = latencies;
    }

    /** The data of SDK records, as {@link #add} takes it. */
    static List<byte[]> dataOf(List<Record> records) {
        List<byte[]> data = new ArrayList<>(records.size());
        // The SDK already holds each record's bytes in an array of their own; reading them in place costs no copy.
        records.forEach(r -> data.add(r.data().asByteArrayUnsafe()));
        return data;
    }

    /** Counts the records (their data) of one GetRecords answer or fan-out event, which arrived at {@code nowNanos}. */
    void add(List<byte[]> data, long nowNanos) {
        calls.increment();
        long measureStart = clock.measureStartNanos();
        long all = 0;
        long bytesAll = 0;
        long measured = 0;
        long bytes = 0;
        for (byte[] record : data) {
            if (!payload.isFromRun(record, runId)) {
                foreignRecords.increment();
                continue;
            }
            all++;
            bytesAll += record.length;
            long sendNanos = payload.sendNanos(record);
            if (sendNanos >= measureStart) {
                measured++;
                bytes += record.length;
                if (latencies) {
                    putToRead.record(nowNanos - sendNanos);
                }
            }
        }
        if (all > 0) {
            recordsAll.add(all);
            this.bytesAll.add(bytesAll);
            lastReadNanos.accumulateAndGet(nowNanos, Math::max);
        }
        if (measured > 0) {
            recordsMeasured.add(measured);
            bytesMeasured.add(bytes);
            lastMeasuredReadNanos.accumulateAndGet(nowNanos, Math::max);
        }
    }

    boolean latencies() {
        return latencies;
    }
}
