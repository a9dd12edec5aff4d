package dev.millrace.cli;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code millrace put}: stdin's lines as records, sent with PutRecords in batches of at most
 * {@link #MAX_BATCH_RECORDS} records and {@link #MAX_BATCH_BYTES} (AWS's limits before 2025-10, which every Kinesis
 * accepts), one request at a time.
 * <ul>
 *   <li>A reader thread reads lines into a queue bounded in bytes; the sender sends as soon as a batch is full or no
 *   line has come for {@link #LINGER_MS}, so that {@code tail -f log | millrace put} is prompt and a file is sent
 *   in full batches.</li>
 *   <li>Entries the endpoint fails (throttling, internal failure) are sent again, first of the next request, after a
 *   backoff of 100 ms doubling to 5 s, up to {@code maxAttempts}; then they count as not put.</li>
 *   <li>Order per partition key: requests never overlap and failed entries go before any later line. Within one
 *   request the endpoint may still fail an entry and accept a later one of the same key; that cannot be undone, so
 *   it is counted and reported, and for {@link #STRICT_MS} afterwards a request holds at most one entry per key.</li>
 * </ul>
 *
 * <p>Not thread-safe: {@link #run} is called once; the reader thread only hands lines over through the queue.
 */
final class PutRun {
    static final int MAX_BATCH_RECORDS = 500;
    static final long MAX_BATCH_BYTES = 5L * 1024 * 1024;
    static final long LINGER_MS = 5;
    static final long STRICT_MS = 5_000;
    static final long BACKOFF_BASE_MS = 100;
    static final long BACKOFF_MAX_MS = 5_000;
    /** Bytes of lines read ahead of the sender, at most (a line larger than this still passes, alone). */
    static final int READ_AHEAD_BYTES = 16 * 1024 * 1024;
    private static final Object END = new Object();

    /** The options of a run; {@code partitionKey} null: a random key per line. */
    record Settings(String stream, String partitionKey, int maxRecordBytes, int maxAttempts) {
    }

    /** What a run did. */
    record Result(long put, long notPut, long outOfOrder, boolean interrupted) {
    }

    /** A line on its way: its entry and how many times it was sent. */
    private static final class Pending {
        final long line;
        final PutRecordsRequestEntry entry;
        final long sizeBytes;
        int attempts;

        Pending(long line, PutRecordsRequestEntry entry, long sizeBytes) {
            this.line = line;
            this.entry = entry;
            this.sizeBytes = sizeBytes;
        }
    }

    private final KinesisClient kinesis;
    private final Settings settings;
    private final PrintStream err;
    private final Progress progress;
    private final Clock clock;
    private final BlockingQueue<Object> lines = new ArrayBlockingQueue<>(4 * MAX_BATCH_RECORDS);
    private final Semaphore readAhead = new Semaphore(READ_AHEAD_BYTES);
    private final Map<String, Long> errorCounts = new LinkedHashMap<>();
    private volatile Throwable readFailure;
    /** Lines over the record size limit, not sent; written by the reader thread only. */
    private volatile long tooLong;
    private Pending carry;
    private long put;
    private long notPut;
    private long outOfOrder;
    private Instant strictUntil = Instant.MIN;

    PutRun(KinesisClient kinesis, Settings settings, PrintStream err, Progress progress, Clock clock) {
        this.kinesis = kinesis;
        this.settings = settings;
        this.err = err;
        this.progress = progress;
        this.clock = clock;
    }

    Result run(InputStream in, CompletableFuture<?> stop) throws Exception {
        Thread reader = new Thread(() -> read(in), "millrace-put-stdin");
        reader.setDaemon(true);
        reader.start();
        Deque<Pending> retry = new ArrayDeque<>();
        boolean inputEnded = false;
        while (!stop.isDone()) {
            List<Pending> batch = new ArrayList<>();
            inputEnded = fill(batch, retry, inputEnded);
            if (readFailure != null) {
                throw new IOException("cannot read stdin: " + readFailure.getMessage(), readFailure);
            }
            if (batch.isEmpty()) {
                if (inputEnded && retry.isEmpty()) {
                    break;
                }
                continue;
            }
            boolean failures = send(batch, retry);
            progress.update(() -> String.format("%,d records put, %,d to retry, %,d not put", put, retry.size(),
                    notPut));
            if (failures && !retry.isEmpty()) {
                long backoffMs = Math.min(BACKOFF_MAX_MS,
                        BACKOFF_BASE_MS << Math.min(20, retry.peekFirst().attempts - 1));
                waitOrStop(stop, backoffMs);
            }
        }
        progress.clear();
        errorCounts.forEach((code, n) -> err.println("millrace put: " + n + " record(s) failed with " + code));
        if (outOfOrder > 0) {
            err.println("millrace put: " + outOfOrder + " record(s) were stored after a later record of their "
                    + "partition key: the endpoint failed them and accepted the later one in the same request");
        }
        return new Result(put, notPut + tooLong, outOfOrder, stop.isDone());
    }

    /**
     * Fills a batch: entries to retry first, then new lines, until full or no line came for the linger time.
     * Returns whether the input has ended.
     */
    private boolean fill(List<Pending> batch, Deque<Pending> retry, boolean inputEnded) throws InterruptedException {
        long bytes = 0;
        boolean strict = clock.instant().isBefore(strictUntil);
        Set<String> keys = new HashSet<>();
        while (!retry.isEmpty() && batch.size() < MAX_BATCH_RECORDS
                && bytes + retry.peekFirst().sizeBytes <= MAX_BATCH_BYTES
                && (!strict || keys.add(retry.peekFirst().entry.partitionKey()))) {
            Pending p = retry.pollFirst();
            batch.add(p);
            bytes += p.sizeBytes;
        }
        if (!retry.isEmpty() || inputEnded) {
            // Later lines wait until every retried record is through: a key's order depends on it.
            return inputEnded;
        }
        long waitMs = batch.isEmpty() ? 100 : LINGER_MS;
        while (batch.size() < MAX_BATCH_RECORDS) {
            Object next = take(waitMs);
            if (next == null) {
                return false;
            }
            if (next == END) {
                return true;
            }
            Pending p = (Pending) next;
            String key = p.entry.partitionKey();
            if (bytes + p.sizeBytes > MAX_BATCH_BYTES || strict && keys.contains(key)) {
                carry = p;
                return false;
            }
            keys.add(key);
            batch.add(p);
            bytes += p.sizeBytes;
            waitMs = LINGER_MS;
        }
        return false;
    }

    /** The line that did not fit the last batch, else the queue's next within {@code waitMs}; null if none. */
    private Object take(long waitMs) throws InterruptedException {
        if (carry != null) {
            Pending p = carry;
            carry = null;
            return p;
        }
        Object next = lines.poll(waitMs, TimeUnit.MILLISECONDS);
        if (next instanceof Pending p) {
            readAhead.release(readAheadBytes(p.sizeBytes));
        }
        return next;
    }

    private static int readAheadBytes(long sizeBytes) {
        return (int) Math.min(sizeBytes, READ_AHEAD_BYTES);
    }

    /** Sends one request; failed entries go back to the front of {@code retry}, in order. True if any failed. */
    private boolean send(List<Pending> batch, Deque<Pending> retry) {
        for (Pending p : batch) {
            p.attempts++;
        }
        PutRecordsResponse response = kinesis.putRecords(b -> b.streamName(settings.stream())
                .records(batch.stream().map(p -> p.entry).toList()));
        List<PutRecordsResultEntry> results = response.records();
        List<Pending> failed = new ArrayList<>();
        Set<String> failedKeys = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            PutRecordsResultEntry r = i < results.size() ? results.get(i) : null;
            String key = p.entry.partitionKey();
            if (r != null && r.errorCode() == null) {
                put++;
                if (failedKeys.contains(key)) {
                    outOfOrder++;
                }
                continue;
            }
            failedKeys.add(key);
            String code = r == null ? "no answer for the entry" : r.errorCode();
            if (p.attempts >= settings.maxAttempts()) {
                notPut++;
                errorCounts.merge(code, 1L, Long::sum);
            } else {
                failed.add(p);
            }
        }
        if (!failedKeys.isEmpty()) {
            strictUntil = clock.instant().plusMillis(STRICT_MS);
        }
        for (int i = failed.size() - 1; i >= 0; i--) {
            retry.addFirst(failed.get(i));
        }
        return !failedKeys.isEmpty();
    }

    private static void waitOrStop(CompletableFuture<?> stop, long ms) throws Exception {
        try {
            stop.get(ms, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the backoff is over
        }
    }

    /** The reader thread: lines to the queue, END at the end of the input. */
    private void read(InputStream in) {
        LineReader reader = new LineReader(in, settings.maxRecordBytes());
        try {
            for (LineReader.Line line = reader.next(); line != null; line = reader.next()) {
                String key = settings.partitionKey() != null ? settings.partitionKey() : UUID.randomUUID().toString();
                long size = line.length() + key.getBytes(StandardCharsets.UTF_8).length;
                if (line.tooLong() || size > settings.maxRecordBytes()) {
                    err.println("millrace put: line " + line.number() + " is " + size + " bytes with its "
                            + "partition key, over the stream's maximum record size of "
                            + settings.maxRecordBytes() + " bytes: not put");
                    tooLong++;
                    continue;
                }
                readAhead.acquire(readAheadBytes(size));
                lines.put(new Pending(line.number(), PutRecordsRequestEntry.builder().partitionKey(key)
                        .data(SdkBytes.fromByteArrayUnsafe(line.data())).build(), size));
            }
        } catch (IOException e) {
            readFailure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            lines.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
