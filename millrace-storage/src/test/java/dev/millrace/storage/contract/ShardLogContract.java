package dev.millrace.storage.contract;

import dev.millrace.storage.AppendListener;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.PendingAppend;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StoredRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.millrace.storage.contract.LogRecords.dataOf;
import static dev.millrace.storage.contract.LogRecords.positionsOf;
import static dev.millrace.storage.contract.LogRecords.readAll;
import static dev.millrace.storage.contract.LogRecords.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link LogStore} and {@link ShardLog} must do, whatever holds the records: round trips, positions and
 * arrival times, read limits, time lookups, retention judged by the injected clock, sealing, append listeners,
 * deletion, and a store reopened over the same storage seeing everything as it was.
 *
 * <p>Positions and arrival times are taken from each {@link AppendResult} and from reads, never computed from the
 * clock, except where the backend says it stamps with its clock ({@link LogBackend#stampsWithClock()}); expiry is
 * arranged by moving the clock relative to arrival times read back, so that it works for a backend stamping with a
 * broker's clock too.
 *
 * <p>A subclass says how to make a fresh {@link LogBackend} for each test; each test gets its own.
 */
public abstract class ShardLogContract {
    /** The largest record the server hands over: data plus partition key up to UpdateMaxRecordSize's 10240 KiB. */
    protected static final int MAX_RECORD_BYTES = 10 * 1024 * 1024;

    protected ManualClock clock;
    protected LogBackend backend;
    protected LogStore store;

    /** A fresh, empty place for this test's shard logs. */
    protected abstract LogBackend newBackend();

    @BeforeEach
    void openBackend() {
        backend = newBackend();
        clock = new ManualClock(backend.clockStartMs());
        store = backend.open(clock);
    }

    @AfterEach
    void closeBackend() {
        try {
            if (store != null) {
                store.close();
            }
        } finally {
            backend.close();
        }
    }

    /** Closes the store and opens a new one over the same storage. */
    protected LogStore reopen() {
        store.close();
        store = null;
        store = backend.open(clock);
        return store;
    }

    /**
     * Makes the next append's arrival time later than {@code arrivalMs} on any backend: the injected clock is moved
     * past it if it is not already (a log stamping with it), and real time passes it (a log stamping with a broker's
     * clock, which here is this machine's).
     */
    protected void passArrival(long arrivalMs) throws InterruptedException {
        if (clock.millis() <= arrivalMs) {
            clock.setMs(arrivalMs + 1);
        }
        while (System.currentTimeMillis() <= arrivalMs) {
            Thread.sleep(1);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Appends and reads

    @Test
    void appendedRecordsReadBackExactlyAtTheirPositionsWithTheirArrivalTimes() {
        ShardLog log = store.openOrCreate("s1");
        assertThat(log.key()).isEqualTo("s1");
        assertThat(log.startPosition()).as("an empty shard starts at 0").isZero();
        assertThat(log.endPosition()).as("an empty shard ends at 0").isZero();
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        String maxHashKey = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE).toString();
        List<AppendRecord> first = List.of(
                AppendRecord.of("key-a", "plain"),
                new AppendRecord(null, null, "no key".getBytes(StandardCharsets.UTF_8)),
                new AppendRecord("ключ-🔑", "0", everyByte),
                new AppendRecord("hashed", maxHashKey, new byte[0]),
                new AppendRecord("k".repeat(256), null, new byte[] {0, 0, 0}),
                // a view into a larger array, as a PutRecords record's data is into the request body: only the view
                new AppendRecord("view", null, everyByte, 100, 28));
        List<AppendRecord> second = records("b", 2);

        AppendResult a = log.append(first);
        AppendResult b = log.append(second);

        assertThat(a.recordCount()).isEqualTo(first.size());
        assertThat(b.recordCount()).isEqualTo(second.size());
        assertThat(a.basePosition()).as("positions start at 0").isZero();
        assertThat(b.basePosition()).as("the second batch follows the first").isGreaterThan(a.lastPosition());
        assertThat(log.endPosition()).isGreaterThan(b.lastPosition());
        assertThat(b.arrivalMsOf(0)).isGreaterThanOrEqualTo(a.lastArrivalMs());
        if (backend.contiguousPositions()) {
            assertThat(positionsOf(a)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
            assertThat(positionsOf(b)).containsExactly(6L, 7L);
            assertThat(log.endPosition()).isEqualTo(8);
        }
        if (backend.stampsWithClock()) {
            assertThat(a.arrivalMsOf(0)).isEqualTo(clock.millis());
            assertThat(b.lastArrivalMs()).isEqualTo(clock.millis());
        }
        List<StoredRecord> all = readAll(log);
        assertReadBack(all.subList(0, first.size()), first, a);
        assertReadBack(all.subList(first.size(), all.size()), second, b);
    }

    /** {@code read} holds exactly {@code written}, landed where {@code result} says. */
    protected static void assertReadBack(List<StoredRecord> read, List<AppendRecord> written, AppendResult result) {
        assertThat(read).hasSize(written.size());
        for (int i = 0; i < written.size(); i++) {
            StoredRecord r = read.get(i);
            AppendRecord w = written.get(i);
            assertThat(r.position()).as("position of record %d", i).isEqualTo(result.positionOf(i));
            assertThat(r.arrivalMs()).as("arrival of record %d", i).isEqualTo(result.arrivalMsOf(i));
            assertThat(r.partitionKey()).as("partition key of record %d", i).isEqualTo(w.partitionKey());
            assertThat(r.explicitHashKey()).as("hash key of record %d", i).isEqualTo(w.explicitHashKey());
            assertThat(r.data()).as("data of record %d", i).isEqualTo(w.data());
        }
    }

    @Test
    void positionsStrictlyIncreaseAndArrivalTimesNeverGoBackwardsEvenWhenTheClockDoes() {
        ShardLog log = store.openOrCreate("mono");
        long lastPosition = -1;
        long lastArrivalMs = Long.MIN_VALUE;
        for (int i = 0; i < 20; i++) {
            long endBefore = log.endPosition();
            long arrivalBeforeMs = lastArrivalMs;
            clock.advanceMs(i % 4 == 3 ? -5_000 : 7);
            AppendResult r = log.append(records("m" + i, 1 + i % 4));
            assertThat(r.basePosition()).as("batch %d starts at or after the end seen before it", i)
                    .isGreaterThanOrEqualTo(endBefore).isGreaterThan(lastPosition);
            for (int j = 0; j < r.recordCount(); j++) {
                assertThat(r.positionOf(j)).isGreaterThan(lastPosition);
                assertThat(r.arrivalMsOf(j)).as("arrival of batch %d record %d", i, j)
                        .isGreaterThanOrEqualTo(lastArrivalMs);
                lastPosition = r.positionOf(j);
                lastArrivalMs = r.arrivalMsOf(j);
            }
            if (backend.contiguousPositions()) {
                assertThat(r.basePosition()).isEqualTo(endBefore);
                assertThat(r.lastPosition()).isEqualTo(endBefore + r.recordCount() - 1);
            }
            if (backend.stampsWithClock()) {
                assertThat(r.arrivalMsOf(0)).as("a batch is stamped with the clock, never earlier than the last")
                        .isEqualTo(Math.max(clock.millis(), arrivalBeforeMs));
            }
        }
        List<StoredRecord> all = readAll(log);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).position()).isGreaterThan(all.get(i - 1).position());
            assertThat(all.get(i).arrivalMs()).isGreaterThanOrEqualTo(all.get(i - 1).arrivalMs());
        }
    }

    @Test
    void readsHonourRecordAndByteLimitsButAlwaysReturnOneRecord() {
        ShardLog log = store.openOrCreate("limits");
        AppendResult r = log.append(records("x", 10)); // ten 3-byte payloads: x-0 .. x-9
        long[] p = new long[10];
        for (int i = 0; i < 10; i++) {
            p[i] = r.positionOf(i);
        }

        ReadResult three = log.read(p[2], 3, Long.MAX_VALUE);
        assertThat(dataOf(three.records())).containsExactly("x-2", "x-3", "x-4");
        assertThat(three.nextPosition()).isEqualTo(p[4] + 1);
        assertThat(three.endPosition()).isEqualTo(log.endPosition());
        assertThat(three.atEnd()).isFalse();

        ReadResult tiny = log.read(p[5], 100, 1);
        assertThat(dataOf(tiny.records())).as("the first record even beyond maxBytes").containsExactly("x-5");
        assertThat(tiny.nextPosition()).isEqualTo(p[5] + 1);

        assertThat(dataOf(log.read(p[0], 100, 9).records())).containsExactly("x-0", "x-1", "x-2");
        assertThat(dataOf(log.read(p[0], 100, 8).records())).containsExactly("x-0", "x-1");
        assertThat(dataOf(log.read(p[7], 100, Long.MAX_VALUE).records())).containsExactly("x-7", "x-8", "x-9");
        assertThat(log.read(p[9], 1, 1).records()).extracting(StoredRecord::position).containsExactly(p[9]);
    }

    @Test
    void readingAtOrPastTheEndReturnsNothingAtOnce() {
        ShardLog log = store.openOrCreate("end");
        ReadResult empty = log.read(0, 10, Long.MAX_VALUE);
        assertThat(empty.records()).isEmpty();
        assertThat(empty.nextPosition()).isZero();
        assertThat(empty.endPosition()).isZero();
        assertThat(empty.atEnd()).isTrue();

        log.append(records("e", 3));
        long end = log.endPosition();
        long startNs = System.nanoTime();
        ReadResult atEnd = log.read(end, 100, Long.MAX_VALUE);
        ReadResult past = log.read(end + 10, 100, Long.MAX_VALUE);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

        assertThat(atEnd.records()).isEmpty();
        assertThat(atEnd.nextPosition()).isEqualTo(end);
        assertThat(atEnd.endPosition()).isEqualTo(end);
        assertThat(atEnd.atEnd()).isTrue();
        assertThat(past.records()).isEmpty();
        assertThat(past.nextPosition()).as("a reader past the end retries where it asked").isEqualTo(end + 10);
        assertThat(past.endPosition()).isEqualTo(end);
        // Readers poll: a read that waited for records would hold a GetRecords call and its thread.
        assertThat(tookMs).as("two reads at and past the end, in ms").isLessThan(2_000);
    }

    /**
     * Stream names may be ".", ".." or "a..b" (the API's pattern allows them), so shard keys hold dots anywhere but
     * first: each such key is a shard of its own, and "." and ".." themselves are no keys.
     */
    @Test
    void keysFullOfDotsAreShardsOfTheirOwn() {
        List<String> keys = List.of("1796000000000-..-000000", "1796000000000-.-000000", "1796000000000-..a-000000",
                "eu-west-1.1796000000000-...-000001", "a..b", "a.", "a_b");
        for (String key : keys) {
            store.openOrCreate(key).append(records(key, 1));
        }
        assertThat(store.shardKeys()).containsAll(keys);
        for (String key : keys) {
            assertThat(dataOf(readAll(store.openOrCreate(key)))).as(key).containsExactly(key + "-0");
        }
        for (String key : new String[] {".", "..", "../x", "x/../..", "./x"}) {
            assertThatThrownBy(() -> store.openOrCreate(key)).as("key '%s'", key)
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(key)).as("key '%s'", key)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        store.delete("1796000000000-..-000000");
        assertThat(store.exists("1796000000000-..-000000")).isFalse();
        assertThat(store.shardKeys()).containsAll(keys.subList(1, keys.size()))
                .doesNotContain("1796000000000-..-000000");
        assertThat(dataOf(readAll(store.openOrCreate("a..b")))).containsExactly("a..b-0");
    }

    @Test
    void invalidKeysAndArgumentsAreRejected() {
        for (String key : new String[] {"", "../escape", "a/b", "a b", "ключ", "k".repeat(201)}) {
            assertThatThrownBy(() -> store.openOrCreate(key)).as("key '%s'", key)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        ShardLog log = store.openOrCreate("ok");
        log.append(records("a", 1));
        assertThatThrownBy(() -> log.read(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> log.read(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        long end = log.endPosition();
        try {
            AppendResult nothing = log.append(List.of());
            assertThat(nothing.recordCount()).isZero();
        } catch (IllegalArgumentException rejected) {
            // Either answer is fine; what matters is that nothing changed.
        }
        assertThat(log.endPosition()).isEqualTo(end);
        assertThat(dataOf(readAll(log))).containsExactly("a-0");
    }

    @Test
    void largeRecordsAreReadWhole() {
        ShardLog log = store.openOrCreate("large");
        byte[] big = new byte[3 * 1024 * 1024];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        String key = "k".repeat(256);
        byte[] largest = new byte[MAX_RECORD_BYTES - key.length()];
        Arrays.fill(largest, (byte) 0x5a);
        largest[largest.length - 1] = 1;
        AppendResult first = log.append(List.of(new AppendRecord("k", big), AppendRecord.of("k", "small")));
        AppendResult second = log.append(List.of(new AppendRecord(key, largest)));

        List<StoredRecord> all = readAll(log);
        assertThat(all).hasSize(3);
        assertThat(all.get(0).data()).isEqualTo(big);
        assertThat(new String(all.get(1).data(), StandardCharsets.UTF_8)).isEqualTo("small");
        assertThat(all.get(2).data()).isEqualTo(largest);
        assertThat(all).extracting(StoredRecord::position)
                .containsExactly(first.positionOf(0), first.positionOf(1), second.positionOf(0));
        assertThat(log.read(first.positionOf(0), 10, 1).records()).as("a large first record is returned whole")
                .hasSize(1);
    }

    @Test
    void concurrentAppendsLoseNothingAndKeepEachWritersOrder() throws Exception {
        ShardLog log = store.openOrCreate("group");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        ConcurrentLinkedQueue<AppendResult> results = new ConcurrentLinkedQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        AppendResult r = log.append(List.of(AppendRecord.of("t" + thread, thread + ":" + i)));
                        // Acknowledged means readable.
                        assertThat(log.read(r.basePosition(), 1, Long.MAX_VALUE).records())
                                .extracting(StoredRecord::position).containsExactly(r.basePosition());
                        results.add(r);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(results).extracting(AppendResult::basePosition).doesNotHaveDuplicates();
        List<StoredRecord> all = readAll(log);
        assertThat(all).hasSize(400);
        for (int t = 0; t < 8; t++) {
            String prefix = t + ":";
            List<String> mine = dataOf(all).stream().filter(s -> s.startsWith(prefix)).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                expected.add(prefix + i);
            }
            assertThat(mine).isEqualTo(expected);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Time

    @Test
    void positionAtOrAfterFindsTheFirstRetainedRecordAtOrAfterATime() throws InterruptedException {
        ShardLog log = store.openOrCreate("time");
        for (int i = 0; i < 30; i++) {
            AppendResult r = log.append(records("t" + i, 2));
            if (i % 3 == 2) {
                passArrival(r.lastArrivalMs());
            }
        }
        List<StoredRecord> all = readAll(log);
        assertThat(all).hasSize(60);
        long end = log.endPosition();
        for (StoredRecord r : all) {
            for (long t : new long[] {r.arrivalMs() - 1, r.arrivalMs(), r.arrivalMs() + 1}) {
                long expected = all.stream().filter(x -> x.arrivalMs() >= t).mapToLong(StoredRecord::position)
                        .findFirst().orElse(end);
                assertThat(log.positionAtOrAfter(t)).as("positionAtOrAfter(%s)", t).isEqualTo(expected);
            }
        }
        long first = all.get(0).position();
        assertThat(log.positionAtOrAfter(Long.MIN_VALUE)).isEqualTo(first);
        assertThat(log.positionAtOrAfter(0)).isEqualTo(first);
        assertThat(log.positionAtOrAfter(Long.MAX_VALUE)).isEqualTo(end);
        assertThat(log.startPosition()).isEqualTo(first);
        assertThat(store.openOrCreate("time-empty").positionAtOrAfter(clock.millis())).isZero();
    }

    @Test
    void expiredRecordsAreNeverReturnedAndTrimmingKeepsRetainedOnes() throws InterruptedException {
        ShardLog log = store.openOrCreate("ret");
        log.retentionMs(10_000);
        assertThat(log.retentionMs()).isEqualTo(10_000);
        List<AppendResult> old = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            old.add(log.append(records("old" + i, 2)));
        }
        long oldFirstArrivalMs = old.get(0).arrivalMsOf(0);
        passArrival(old.get(4).lastArrivalMs());
        AppendResult fresh = log.append(records("new", 2));
        assertThat(fresh.arrivalMsOf(0)).isGreaterThan(old.get(4).lastArrivalMs());

        // The old records are one millisecond past retention, the new ones just inside it.
        clock.setMs(old.get(4).lastArrivalMs() + 10_000 + 1);
        assertThat(dataOf(readAll(log))).containsExactly("new-0", "new-1");
        assertThat(log.read(0, 10, Long.MAX_VALUE).records()).extracting(StoredRecord::position)
                .containsExactly(fresh.positionOf(0), fresh.positionOf(1));
        assertThat(log.read(old.get(2).positionOf(0), 1, Long.MAX_VALUE).records())
                .extracting(StoredRecord::position).containsExactly(fresh.positionOf(0));
        assertThat(log.startPosition()).isEqualTo(fresh.basePosition());
        assertThat(log.positionAtOrAfter(oldFirstArrivalMs)).isEqualTo(fresh.basePosition());
        assertThat(log.trimExpired()).isNotNegative();
        assertThat(store.trimExpired()).isNotNegative();
        assertThat(dataOf(readAll(log))).as("a trim never deletes a retained record").containsExactly("new-0", "new-1");

        clock.setMs(fresh.lastArrivalMs() + 10_000 + 1);
        long end = log.endPosition();
        assertThat(readAll(log)).isEmpty();
        ReadResult nothing = log.read(0, 10, Long.MAX_VALUE);
        assertThat(nothing.records()).isEmpty();
        assertThat(nothing.nextPosition()).as("a reader is moved past what expired").isEqualTo(end);
        assertThat(log.startPosition()).isEqualTo(end);
        assertThat(log.positionAtOrAfter(Long.MIN_VALUE)).isEqualTo(end);
        assertThat(log.trimExpired()).isNotNegative();

        passArrival(fresh.lastArrivalMs());
        AppendResult after = log.append(records("after", 1));
        assertThat(after.basePosition()).isGreaterThanOrEqualTo(end);
        assertThat(dataOf(readAll(log))).containsExactly("after-0");

        // Retention is the owner's setting, set again whenever it opens a shard.
        ShardLog reopened = reopen().openOrCreate("ret");
        reopened.retentionMs(10_000);
        assertThat(reopened.endPosition()).isEqualTo(log.endPosition());
        assertThat(dataOf(readAll(reopened))).containsExactly("after-0");
        assertThat(reopened.startPosition()).isEqualTo(after.basePosition());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Sealing

    @Test
    void aSealedShardRefusesAppendsForeverAndStillServesReads() {
        ShardLog log = store.openOrCreate("seal");
        assertThat(log.sealed()).isFalse();
        AppendResult written = log.append(records("a", 2));
        long end = log.endPosition();
        log.seal();
        log.seal();
        assertThat(log.sealed()).isTrue();
        assertThatThrownBy(() -> log.append(records("b", 1))).isInstanceOf(ShardSealedException.class);
        assertThat(log.endPosition()).isEqualTo(end);
        assertThat(dataOf(readAll(log))).containsExactly("a-0", "a-1");
        assertThat(store.openOrCreate("seal").sealed()).as("the same shard opened again").isTrue();

        ShardLog reopened = reopen().openOrCreate("seal");
        assertThat(reopened.sealed()).isTrue();
        assertThat(reopened.endPosition()).isEqualTo(end);
        assertReadBack(readAll(reopened), records("a", 2), written);
        assertThatThrownBy(() -> reopened.append(records("b", 1))).isInstanceOf(ShardSealedException.class);
        reopened.seal();
        assertThat(reopened.sealed()).isTrue();
        assertThat(store.openOrCreate("unsealed").sealed()).as("sealing is per shard").isFalse();
    }

    /**
     * The two-phase append a PutRecords over several shards uses: every shard's batch begun before any is awaited,
     * then each await gives that batch's positions, the records read back in order, listeners told once, a second
     * await the same answer, and a sealed shard refused at begin.
     */
    @Test
    void appendsBegunOnSeveralShardsBeforeAnyIsAwaitedEachLandWhole() {
        List<ShardLog> logs = List.of(store.openOrCreate("begin-a"), store.openOrCreate("begin-b"),
                store.openOrCreate("begin-c"));
        AtomicInteger told = new AtomicInteger();
        logs.forEach(l -> l.onAppend((key, result) -> told.incrementAndGet()));
        List<PendingAppend> firsts = new ArrayList<>();
        List<PendingAppend> seconds = new ArrayList<>();
        for (ShardLog log : logs) {
            firsts.add(log.begin(records(log.key() + "-1", 3), null));
            seconds.add(log.begin(records(log.key() + "-2", 2), null));
        }
        for (int i = 0; i < logs.size(); i++) {
            AppendResult first = firsts.get(i).await();
            AppendResult second = seconds.get(i).await();
            assertThat(second.positionOf(0)).as("begun later, placed later").isGreaterThan(first.positionOf(2));
            assertThat(seconds.get(i).await().positionOf(1)).as("a second await, the same answer")
                    .isEqualTo(second.positionOf(1));
            String key = logs.get(i).key();
            assertThat(dataOf(readAll(logs.get(i)))).containsExactly(key + "-1-0", key + "-1-1", key + "-1-2",
                    key + "-2-0", key + "-2-1");
        }
        assertThat(told.get()).as("each append told once").isEqualTo(6);
        logs.get(0).seal();
        assertThatThrownBy(() -> logs.get(0).begin(records("late", 1), null))
                .isInstanceOf(ShardSealedException.class);
    }

    /**
     * What a split or merge relies on: once {@code seal} returns, the end is final, every append acknowledged before
     * it lies below that end, and every append after it fails, while other threads keep appending throughout.
     */
    @Test
    void aSealUnderConcurrentAppendsLeavesEveryAcknowledgedRecordBelowTheFinalEnd() throws Exception {
        ShardLog log = store.openOrCreate("sealing");
        int writers = 4;
        ConcurrentLinkedQueue<StoredRecord> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < writers; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 100_000; i++) {
                        byte[] data = (thread + ":" + i).getBytes(StandardCharsets.UTF_8);
                        try {
                            AppendResult r = log.append(List.of(new AppendRecord("t" + thread, data)));
                            acknowledged.add(new StoredRecord(r.basePosition(), r.arrivalMsOf(0), null, null, data));
                        } catch (ShardSealedException e) {
                            refused.incrementAndGet();
                            return null;
                        }
                    }
                    throw new AssertionError("writer " + thread + " was never refused");
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.size() < 100 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            log.seal();
            long end = log.endPosition();
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
            assertThat(refused).hasValue(writers);
            assertThat(log.endPosition()).as("the end after every writer was refused").isEqualTo(end);
            assertThatThrownBy(() -> log.append(records("late", 1))).isInstanceOf(ShardSealedException.class);

            List<StoredRecord> all = readAll(log);
            assertThat(all).extracting(StoredRecord::position).allMatch(p -> p < end).doesNotHaveDuplicates();
            List<String> read = dataOf(all);
            assertThat(read).doesNotHaveDuplicates();
            for (StoredRecord r : acknowledged) {
                assertThat(r.position()).as("an acknowledged position").isLessThan(end);
                assertThat(read).contains(new String(r.data(), StandardCharsets.UTF_8));
            }
            ShardLog reopened = reopen().openOrCreate("sealing");
            assertThat(reopened.sealed()).isTrue();
            assertThat(reopened.endPosition()).isEqualTo(end);
            assertThat(dataOf(readAll(reopened))).isEqualTo(read);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The store: which shards exist, deleting them, reopening

    @Test
    void openIfExistsOpensOnlyLogsThatExistAndCreatesNothing() {
        assertThat(store.openIfExists("never")).isEmpty();
        assertThat(store.exists("never")).isFalse();
        assertThat(store.shardKeys()).isEmpty();

        store.openOrCreate("kept").append(List.of(AppendRecord.of("k", "v")));
        assertThat(store.openIfExists("kept")).get().extracting(ShardLog::endPosition)
                .isEqualTo(store.openOrCreate("kept").endPosition());
        store.openOrCreate("doomed");
        store.delete("doomed");
        assertThat(store.openIfExists("doomed")).as("not brought back after a deletion").isEmpty();
        assertThat(store.openIfExists("never")).isEmpty();
        assertThat(store.shardKeys()).containsExactly("kept");

        reopen();
        assertThat(store.openIfExists("kept")).as("a log not yet opened since the store opened").get()
                .extracting(log -> dataOf(readAll(log))).isEqualTo(List.of("v"));
        assertThat(store.openIfExists("never")).isEmpty();
        assertThat(store.openIfExists("doomed")).isEmpty();
        assertThat(store.shardKeys()).containsExactly("kept");
    }

    @Test
    void shardKeysListsEveryShardThatExistsAcrossReopening() {
        List<String> keys = List.of("alpha", "beta.2", "gamma_3", "DELTA-4", "e");
        for (String key : keys) {
            store.openOrCreate(key).append(records(key, 1));
        }
        store.openOrCreate("empty");
        assertThat(store.shardKeys()).containsExactlyInAnyOrder("alpha", "beta.2", "gamma_3", "DELTA-4", "e", "empty");
        assertThat(keys).allMatch(store::exists);
        assertThat(store.exists("empty")).as("a log opened but never written exists").isTrue();
        assertThat(store.exists("zeta")).isFalse();

        reopen();
        assertThat(store.shardKeys()).containsExactlyInAnyOrder("alpha", "beta.2", "gamma_3", "DELTA-4", "e", "empty");
        for (String key : keys) {
            assertThat(dataOf(readAll(store.openOrCreate(key)))).containsExactly(key + "-0");
        }
    }

    @Test
    void deleteRemovesTheShardIsIdempotentAndTheKeyStartsAfresh() {
        store.openOrCreate("gone").append(records("a", 2));
        store.openOrCreate("stays").append(records("s", 1));
        store.delete("gone");
        store.delete("gone");
        store.delete("never-was");
        assertThat(store.exists("gone")).isFalse();
        assertThat(store.shardKeys()).containsExactly("stays");
        assertThat(store.openIfExists("gone")).isEmpty();

        reopen();
        assertThat(store.exists("gone")).isFalse();
        assertThat(store.shardKeys()).containsExactly("stays");
        store.delete("gone");
        assertThat(dataOf(readAll(store.openOrCreate("stays")))).containsExactly("s-0");

        ShardLog again = store.openOrCreate("gone");
        assertThat(readAll(again)).as("a deleted key opened again").isEmpty();
        assertThat(again.endPosition()).isZero();
        assertThat(again.sealed()).isFalse();
        assertThat(again.append(records("fresh", 1)).basePosition()).isZero();
        assertThat(dataOf(readAll(again))).containsExactly("fresh-0");
    }

    @Test
    void aReopenedStoreSeesEveryShardAsItWas() throws InterruptedException {
        ShardLog p = store.openOrCreate("p");
        List<AppendRecord> firstBatch = records("a", 5);
        AppendResult first = p.append(firstBatch);
        passArrival(first.lastArrivalMs());
        List<AppendRecord> secondBatch = records("b", 3);
        AppendResult second = p.append(secondBatch);
        store.openOrCreate("q").append(records("q", 2));
        store.openOrCreate("q").seal();
        long end = p.endPosition();
        List<StoredRecord> before = readAll(p);

        ShardLog reopened = reopen().openOrCreate("p");
        assertThat(reopened.endPosition()).isEqualTo(end);
        assertThat(reopened.startPosition()).isEqualTo(first.basePosition());
        assertThat(reopened.sealed()).isFalse();
        List<StoredRecord> after = readAll(reopened);
        assertReadBack(after.subList(0, 5), firstBatch, first);
        assertReadBack(after.subList(5, after.size()), secondBatch, second);
        assertThat(reopened.positionAtOrAfter(second.arrivalMsOf(0))).isEqualTo(second.basePosition());
        // StoredRecord's equals compares every value, data by content (a field-by-field comparison would also
        // compare where a view's bytes lie and which lazily made copies exist).
        assertThat(after).isEqualTo(before);
        assertThat(store.openOrCreate("q").sealed()).isTrue();
        assertThat(dataOf(readAll(store.openOrCreate("q")))).containsExactly("q-0", "q-1");

        AppendResult next = reopened.append(records("c", 1));
        assertThat(next.basePosition()).as("positions are never handed out twice").isGreaterThanOrEqualTo(end);
        assertThat(next.arrivalMsOf(0)).isGreaterThanOrEqualTo(second.lastArrivalMs());
        if (backend.contiguousPositions()) {
            assertThat(next.basePosition()).isEqualTo(end);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Append listeners

    /** What a listener saw when it was called: the append's result and what a read found at that moment. */
    private record Call(String shardKey, AppendResult result, List<String> readable) {
    }

    private static List<String> readableAt(ShardLog log, AppendResult result) {
        return dataOf(log.read(result.basePosition(), result.recordCount(), Long.MAX_VALUE).records());
    }

    @Test
    void aListenerIsToldOncePerAppendAfterItsRecordsAreReadable() {
        ShardLog log = store.openOrCreate("told");
        List<Call> calls = new ArrayList<>();
        log.onAppend((key, result) -> calls.add(new Call(key, result, readableAt(log, result))));

        AppendResult first = log.append(records("a", 3));
        assertThat(calls).as("told before append returns").hasSize(1);
        AppendResult second = log.append(records("b", 2));

        assertThat(calls).containsExactly(
                new Call("told", first, List.of("a-0", "a-1", "a-2")),
                new Call("told", second, List.of("b-0", "b-1")));
    }

    @Test
    void aThrowingListenerFailsNeitherTheAppendNorTheOtherListeners() {
        ShardLog log = store.openOrCreate("throws");
        AtomicInteger before = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        log.onAppend((key, result) -> before.incrementAndGet());
        log.onAppend((key, result) -> {
            throw new IllegalStateException("listener broken");
        });
        log.onAppend((key, result) -> after.incrementAndGet());

        AppendResult result = log.append(records("x", 2));
        log.append(records("y", 1));

        assertThat(result.basePosition()).isZero();
        assertThat(dataOf(readAll(log))).containsExactly("x-0", "x-1", "y-0");
        assertThat(before).hasValue(2);
        assertThat(after).hasValue(2);
    }

    @Test
    void aClosedRegistrationIsToldNothingMore() {
        ShardLog log = store.openOrCreate("closed");
        AtomicInteger calls = new AtomicInteger();
        Registration registration = log.onAppend((key, result) -> calls.incrementAndGet());
        log.append(records("a", 1));
        registration.close();
        registration.close();
        log.append(records("b", 1));

        assertThat(calls).hasValue(1);
    }

    @Test
    void theSameListenerTwiceIsToldTwiceUntilEachRegistrationCloses() {
        ShardLog log = store.openOrCreate("twice");
        AtomicInteger calls = new AtomicInteger();
        AppendListener listener = (key, result) -> calls.incrementAndGet();
        Registration one = log.onAppend(listener);
        log.onAppend(listener);
        log.append(records("a", 1));
        one.close();
        log.append(records("b", 1));

        assertThat(calls).hasValue(3);
    }

    @Test
    void aFailedAppendTellsNobodyAndListenersAreTheirShardsOnly() {
        ShardLog log = store.openOrCreate("sealed");
        AtomicInteger calls = new AtomicInteger();
        log.onAppend((key, result) -> calls.incrementAndGet());
        store.openOrCreate("neighbour").append(records("n", 1));
        log.seal();

        assertThatThrownBy(() -> log.append(records("a", 1))).isInstanceOf(ShardSealedException.class);
        assertThat(calls).hasValue(0);
    }

    @Test
    void concurrentAppendsAreEachToldOnceAndReadable() throws Exception {
        ShardLog log = store.openOrCreate("group");
        ConcurrentLinkedQueue<AppendResult> told = new ConcurrentLinkedQueue<>();
        AtomicInteger unreadable = new AtomicInteger();
        log.onAppend((key, result) -> {
            List<StoredRecord> at = log.read(result.basePosition(), 1, Long.MAX_VALUE).records();
            if (at.isEmpty() || at.get(0).position() != result.basePosition()) {
                unreadable.incrementAndGet();
            }
            told.add(result);
        });
        ExecutorService pool = Executors.newFixedThreadPool(6);
        ConcurrentLinkedQueue<AppendResult> returned = new ConcurrentLinkedQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 6; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        returned.add(log.append(List.of(AppendRecord.of("t" + thread, thread + ":" + i))));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(told).hasSize(240).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(returned);
        assertThat(unreadable).hasValue(0);
    }
}
