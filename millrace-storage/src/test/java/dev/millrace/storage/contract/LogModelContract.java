package dev.millrace.storage.contract;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs random sequences of appends, reads, time lookups, clock moves, retention changes, trims and restarts against
 * a backend's log and against a plain in-memory model of the {@link ShardLog} contract, and requires the same answers.
 *
 * <p>The model learns each record's position and arrival time from the {@link AppendResult} (a backend may skip
 * positions and stamps with its own clock), checks that they keep the SPI's promises (positions strictly increasing,
 * arrivals never going backwards), and from then on predicts every read, time lookup, start and end exactly. Expiry
 * is judged by the injected clock, so moving it ages records on every backend. Where a backend promises more
 * ({@link LogBackend#contiguousPositions()}, {@link LogBackend#stampsWithClock()}, {@link LogBackend#trimsExactly()})
 * the model checks that too.
 *
 * <p>A subclass says how to make a fresh backend for each try and how many tries to run, with jqwik's
 * {@code @PropertyDefaults(tries = ...)} on the class (a slow backend runs fewer).
 */
public abstract class LogModelContract {
    private static final long DEFAULT_RETENTION_MS = 24L * 60 * 60 * 1000;
    private static final String[] SHARDS = {"alpha", "beta.2"};

    /** A fresh, empty place for one try's shard logs. */
    protected abstract LogBackend newBackend();

    @Property
    void shouldAnswerLikeTheModelForAnySequenceOfActions(@ForAll("actions") List<Action> actions) {
        try (LogBackend backend = newBackend(); Harness harness = new Harness(backend)) {
            for (Action action : actions) {
                harness.run(action);
                harness.checkBounds();
            }
            harness.restart(0);
            harness.checkEverything();
            Statistics.label("restarts").collect(actions.stream().filter(a -> a instanceof Restart).count() > 0);
            Statistics.label("trims that deleted something").collect(Math.min(harness.deletingTrims, 3));
            Statistics.label("reads cut by maxBytes").collect(harness.readsCutByBytes > 0);
            backend.collectStatistics();
        }
    }

    /**
     * A sequence the property found on the embedded engine (rarely: it needs the clock to step back by more than the
     * retention period), reduced by hand, that broke "arrival times never go backwards": once a trim had deleted every
     * segment that held a record, a restart forgot the last arrival time, and after the clock stepped back the next
     * append was stamped earlier than the one before it.
     */
    @Example
    void shouldNeverStampAnEarlierArrivalAfterATrimEmptiedTheShardAndARestart() {
        shouldAnswerLikeTheModelForAnySequenceOfActions(List.of(
                new Append(0, List.of(new Rec("k", null, 10, 1))),
                new Retention(0, 1_000),
                new Advance(2_000),
                new Trim(0),
                new Restart(0),
                new Advance(-2_500),
                new Append(0, List.of(new Rec("k", null, 10, 2)))));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Actions

    sealed interface Action permits Append, Read, Lookup, Advance, Retention, Trim, Restart {
    }

    /** One record to append; its payload is {@code size} bytes drawn from {@code seed}, so failures print briefly. */
    record Rec(String partitionKey, String explicitHashKey, int size, long seed) {
        byte[] data() {
            byte[] data = new byte[size];
            new SplittableRandom(seed).nextBytes(data);
            return data;
        }

        AppendRecord toAppendRecord() {
            return new AppendRecord(partitionKey, explicitHashKey, data());
        }
    }

    record Append(int shard, List<Rec> records) implements Action {
    }

    /** Reads from {@code fromRaw} mod (end + 4), so positions before, inside and past the log all occur. */
    record Read(int shard, int fromRaw, int maxRecords, long maxBytes) implements Action {
    }

    /** kind 0: now minus {@code raw}; kind 1: an arrival time of the model ± 1; kind 2: an extreme value. */
    record Lookup(int shard, int kind, long raw) implements Action {
    }

    record Advance(long ms) implements Action {
    }

    record Retention(int shard, long ms) implements Action {
    }

    /** {@code shard} -1 trims through the store, which trims every open shard. */
    record Trim(int shard) implements Action {
    }

    /**
     * Closes the store and opens it again. While it is closed, {@code damage} 1 to 3 lets the backend damage what it
     * must rebuild ({@link LogBackend#damageRebuildableState}: the embedded engine's index files); 0 leaves all alone.
     */
    record Restart(int damage) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Integer> shard = Arbitraries.integers().between(0, SHARDS.length - 1);
        Arbitrary<Action> append = Combinators.combine(shard, rec().list().ofMinSize(1).ofMaxSize(20))
                .as(Append::new);
        Arbitrary<Integer> maxRecords = Arbitraries.frequencyOf(
                weighted(3, Arbitraries.integers().between(1, 5)),
                weighted(3, Arbitraries.integers().between(6, 60)),
                weighted(1, Arbitraries.just(10_000)));
        Arbitrary<Long> maxBytes = Arbitraries.frequencyOf(
                weighted(2, Arbitraries.longs().between(1, 100)),
                weighted(3, Arbitraries.longs().between(101, 10_000)),
                weighted(2, Arbitraries.longs().between(10_001, 100_000)),
                weighted(1, Arbitraries.just(Long.MAX_VALUE)));
        Arbitrary<Action> read = Combinators.combine(shard, Arbitraries.integers().between(0, 100_000), maxRecords,
                maxBytes).as(Read::new);
        Arbitrary<Action> lookup = Combinators.combine(shard, Arbitraries.integers().between(0, 2),
                Arbitraries.longs().between(-2_000, 400_000)).as(Lookup::new);
        Arbitrary<Action> advance = Arbitraries.frequencyOf(
                weighted(8, Arbitraries.longs().between(0, 2_000)),
                weighted(4, Arbitraries.longs().between(2_001, 30_000)),
                weighted(1, Arbitraries.longs().between(30_001, 300_000)),
                weighted(1, Arbitraries.longs().between(-5_000, -1))).map(Advance::new);
        Arbitrary<Long> retentionMs = Arbitraries.frequencyOf(
                weighted(3, Arbitraries.longs().between(1_000, 20_000)),
                weighted(2, Arbitraries.longs().between(20_001, 200_000)),
                weighted(1, Arbitraries.just(DEFAULT_RETENTION_MS)));
        Arbitrary<Action> retention = Combinators.combine(shard, retentionMs).as(Retention::new);
        Arbitrary<Action> trim = Arbitraries.integers().between(-1, SHARDS.length - 1).map(Trim::new);
        Arbitrary<Action> restart = Arbitraries.frequencyOf(
                weighted(6, Arbitraries.just(0)),
                weighted(1, Arbitraries.integers().between(1, 3))).map(Restart::new);
        return Arbitraries.frequencyOf(
                weighted(30, append),
                weighted(25, read),
                weighted(12, lookup),
                weighted(15, advance),
                weighted(5, retention),
                weighted(6, trim),
                weighted(5, restart)).list().ofMinSize(1).ofMaxSize(150)
                .withSizeDistribution(RandomDistribution.uniform());
    }

    private static Arbitrary<Rec> rec() {
        Arbitrary<String> plain = Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(12);
        // No surrogates: a lone one cannot survive UTF-8 and is not a valid key anyway. Pairs come from the emoji.
        Arbitrary<String> bmp = Arbitraries.strings().withCharRange('\u00a0', '\u07ff')
                .withCharRange('\u4e00', '\u4e20').ofMinLength(1).ofMaxLength(20);
        Arbitrary<String> mixed = Arbitraries.of("ключ", "🔑", "中文", "é", "k", "Z9", "-_.", "\u0000", " ")
                .list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join("", parts));
        Arbitrary<String> long256 = Arbitraries.strings().withCharRange('a', 'z').ofLength(256);
        Arbitrary<String> partitionKey = Arbitraries.frequencyOf(
                weighted(4, plain), weighted(2, bmp), weighted(2, mixed), weighted(1, long256));
        Arbitrary<String> hashKey = Arbitraries.bigIntegers()
                .between(BigInteger.ZERO, BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE))
                .map(BigInteger::toString)
                .injectNull(0.6);
        Arbitrary<Integer> size = Arbitraries.frequencyOf(
                weighted(5, Arbitraries.integers().between(0, 50)),
                weighted(3, Arbitraries.integers().between(51, 800)),
                weighted(2, Arbitraries.integers().between(801, 3_000)));
        return Combinators.combine(partitionKey, hashKey, size, Arbitraries.longs()).as(Rec::new);
    }

    private static <T> Tuple.Tuple2<Integer, Arbitrary<? extends T>> weighted(int weight, Arbitrary<T> arbitrary) {
        return Tuple.of(weight, arbitrary);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The model

    /** A record as a reader should see it; the payload compares by content. */
    record Expected(long position, long arrivalMs, String partitionKey, String explicitHashKey, ByteBuffer data) {
        static Expected of(StoredRecord r) {
            return new Expected(r.position(), r.arrivalMs(), r.partitionKey(), r.explicitHashKey(),
                    ByteBuffer.wrap(r.data()));
        }

        @Override
        public String toString() {
            CRC32 crc = new CRC32();
            crc.update(data.duplicate());
            return "@" + position + "(t=" + arrivalMs + ", key=" + partitionKey + ", hash=" + explicitHashKey
                    + ", " + data.remaining() + " bytes, crc=" + Long.toHexString(crc.getValue()) + ")";
        }
    }

    record ExpectedRead(List<Expected> records, long nextPosition, long endPosition) {
        static ExpectedRead of(ReadResult r) {
            return new ExpectedRead(r.records().stream().map(Expected::of).toList(), r.nextPosition(),
                    r.endPosition());
        }
    }

    /** What one shard must hold: the records not yet deleted by a trim, by position. */
    static final class ShardModel {
        final TreeMap<Long, Expected> records = new TreeMap<>();
        long end;
        long lastArrivalMs = Long.MIN_VALUE;
        long retentionMs = DEFAULT_RETENTION_MS;

        boolean retained(Expected r, long nowMs) {
            return r.arrivalMs() >= nowMs - retentionMs;
        }

        ExpectedRead read(long from, int maxRecords, long maxBytes, long nowMs) {
            List<Expected> out = new ArrayList<>();
            long bytes = 0;
            for (Expected r : records.tailMap(from, true).values()) {
                if (!retained(r, nowMs)) {
                    continue;
                }
                int length = r.data().remaining();
                if (out.size() >= maxRecords || (!out.isEmpty() && bytes + length > maxBytes)) {
                    break;
                }
                out.add(r);
                bytes += length;
            }
            long next = out.isEmpty() ? Math.max(from, end) : out.get(out.size() - 1).position() + 1;
            return new ExpectedRead(out, next, end);
        }

        long positionAtOrAfter(long timestampMs, long nowMs) {
            for (Expected r : records.values()) {
                if (retained(r, nowMs) && r.arrivalMs() >= timestampMs) {
                    return r.position();
                }
            }
            return end;
        }

        /** The first position that holds a record at all, expired or not: what a trim may move forward. */
        long firstPresent() {
            return records.isEmpty() ? end : records.firstKey();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Running actions against both

    private static final class Harness implements AutoCloseable {
        private final LogBackend backend;
        private final long clockStartMs;
        private final ManualClock clock;
        private final ShardModel[] models = new ShardModel[SHARDS.length];
        private final ShardLog[] logs = new ShardLog[SHARDS.length];
        private LogStore store;
        int deletingTrims;
        int readsCutByBytes;

        Harness(LogBackend backend) {
            this.backend = backend;
            this.clockStartMs = backend.clockStartMs();
            this.clock = new ManualClock(clockStartMs);
            for (int i = 0; i < models.length; i++) {
                models[i] = new ShardModel();
            }
            open();
        }

        private void open() {
            store = backend.open(clock);
            for (int i = 0; i < SHARDS.length; i++) {
                logs[i] = store.openOrCreate(SHARDS[i]);
                // Retention is the owner's setting, not the log's: the owner sets it again whenever it opens a shard.
                logs[i].retentionMs(models[i].retentionMs);
            }
        }

        void restart(int damage) {
            store.close();
            store = null;
            if (damage > 0) {
                backend.damageRebuildableState(damage);
            }
            open();
        }

        void run(Action action) {
            if (action instanceof Append a) {
                append(a);
            } else if (action instanceof Read r) {
                read(r);
            } else if (action instanceof Lookup l) {
                lookup(l);
            } else if (action instanceof Advance a) {
                clock.advanceMs(a.ms());
            } else if (action instanceof Retention r) {
                logs[r.shard()].retentionMs(r.ms());
                models[r.shard()].retentionMs = r.ms();
            } else if (action instanceof Trim t) {
                trim(t);
            } else if (action instanceof Restart r) {
                restart(r.damage());
            } else {
                throw new IllegalArgumentException("unknown action " + action);
            }
        }

        private void append(Append a) {
            ShardModel model = models[a.shard()];
            ShardLog log = logs[a.shard()];
            List<AppendRecord> batch = a.records().stream().map(Rec::toAppendRecord).toList();
            long clockMs = clock.millis();

            AppendResult result = log.append(batch);

            assertThat(result.recordCount()).isEqualTo(batch.size());
            assertThat(result.basePosition()).as("base position of %s", a).isGreaterThanOrEqualTo(model.end);
            long lastArrivalMs = model.lastArrivalMs;
            for (int i = 0; i < batch.size(); i++) {
                long position = result.positionOf(i);
                long arrivalMs = result.arrivalMsOf(i);
                assertThat(arrivalMs).as("arrival of record %s of %s (clock %s)", i, a, clockMs)
                        .isGreaterThanOrEqualTo(lastArrivalMs);
                if (backend.contiguousPositions()) {
                    assertThat(position).as("position of record %s of %s", i, a).isEqualTo(model.end + i);
                }
                if (backend.stampsWithClock()) {
                    assertThat(arrivalMs).as("arrival of record %s of %s (clock %s)", i, a, clockMs)
                            .isEqualTo(Math.max(clockMs, model.lastArrivalMs));
                }
                AppendRecord r = batch.get(i);
                model.records.put(position, new Expected(position, arrivalMs, r.partitionKey(), r.explicitHashKey(),
                        ByteBuffer.wrap(r.data())));
                lastArrivalMs = arrivalMs;
            }
            model.lastArrivalMs = lastArrivalMs;
            long end = log.endPosition();
            assertThat(end).as("end after %s", a).isGreaterThan(result.lastPosition());
            if (backend.contiguousPositions()) {
                assertThat(end).as("end after %s", a).isEqualTo(result.lastPosition() + 1);
            }
            model.end = end;
            // Acknowledged means readable, at once and all of it.
            compareRead(a.shard(), result.basePosition(), batch.size(), Long.MAX_VALUE);
        }

        private void read(Read r) {
            long from = Math.floorMod(r.fromRaw(), models[r.shard()].end + 4);
            compareRead(r.shard(), from, r.maxRecords(), r.maxBytes());
        }

        private void compareRead(int shard, long from, int maxRecords, long maxBytes) {
            ExpectedRead expected = models[shard].read(from, maxRecords, maxBytes, clock.millis());
            ExpectedRead actual = ExpectedRead.of(logs[shard].read(from, maxRecords, maxBytes));
            assertThat(actual)
                    .as("%s.read(%s, %s, %s) at clock %s, retention %s", SHARDS[shard], from, maxRecords, maxBytes,
                            clock.millis(), models[shard].retentionMs)
                    .isEqualTo(expected);
            if (expected.records().size() < maxRecords && expected.nextPosition() < expected.endPosition()) {
                readsCutByBytes++;
            }
        }

        private void lookup(Lookup l) {
            ShardModel model = models[l.shard()];
            long t = switch (l.kind()) {
                case 0 -> clock.millis() - l.raw();
                case 1 -> {
                    if (model.records.isEmpty()) {
                        yield clock.millis();
                    }
                    List<Expected> all = new ArrayList<>(model.records.values());
                    Expected pick = all.get((int) Math.floorMod(l.raw(), (long) all.size()));
                    yield pick.arrivalMs() + Math.floorMod(l.raw(), 3L) - 1;
                }
                default -> switch ((int) Math.floorMod(l.raw(), 4L)) {
                    case 0 -> Long.MIN_VALUE;
                    case 1 -> Long.MAX_VALUE;
                    case 2 -> 0L;
                    default -> clockStartMs;
                };
            };
            assertThat(logs[l.shard()].positionAtOrAfter(t))
                    .as("%s.positionAtOrAfter(%s) at clock %s, retention %s", SHARDS[l.shard()], t, clock.millis(),
                            model.retentionMs)
                    .isEqualTo(model.positionAtOrAfter(t, clock.millis()));
        }

        private void trim(Trim t) {
            long nowMs = clock.millis();
            long[] before = new long[SHARDS.length];
            for (int i = 0; i < SHARDS.length; i++) {
                before[i] = models[i].firstPresent();
            }
            int removed = t.shard() < 0 ? store.trimExpired() : logs[t.shard()].trimExpired();
            assertThat(removed).as("units a trim removed").isNotNegative();
            int deletedSomewhere = 0;
            for (int i = 0; i < SHARDS.length; i++) {
                ShardModel model = models[i];
                long present = firstPresent(i);
                if (t.shard() >= 0 && t.shard() != i && backend.trimsExactly()) {
                    assertThat(present).as("%s untouched by a trim of another shard", SHARDS[i]).isEqualTo(before[i]);
                    continue;
                }
                long firstUnexpired = model.records.values().stream().filter(r -> model.retained(r, nowMs))
                        .mapToLong(Expected::position).findFirst().orElse(model.end);
                assertThat(present)
                        .as("%s: first record left after trimming at clock %s, retention %s", SHARDS[i], nowMs,
                                model.retentionMs)
                        // Never brings anything back, never deletes a retained record...
                        .isBetween(before[i], firstUnexpired);
                if (firstUnexpired == model.end && backend.trimsExactly()) {
                    // ...and when every record has expired, the storage holding them all holds only expired ones.
                    assertThat(present).as("%s: everything expired, so everything goes", SHARDS[i])
                            .isEqualTo(model.end);
                }
                if (present > before[i]) {
                    deletedSomewhere++;
                }
                model.records.headMap(present).clear();
            }
            if (removed > 0) {
                deletingTrims++;
            }
            if (backend.trimsExactly()) {
                assertThat(removed > 0).as("trim reported %s removed units", removed)
                        .isEqualTo(deletedSomewhere > 0);
            }
        }

        /** Where the shard's stored records start now, expired or not: read with a retention longer than time. */
        private long firstPresent(int shard) {
            ShardLog log = logs[shard];
            log.retentionMs(Long.MAX_VALUE);
            try {
                return log.startPosition();
            } finally {
                log.retentionMs(models[shard].retentionMs);
            }
        }

        /** Cheap checks after every action. */
        void checkBounds() {
            for (int i = 0; i < SHARDS.length; i++) {
                ShardModel model = models[i];
                assertThat(logs[i].endPosition()).as("%s.endPosition()", SHARDS[i]).isEqualTo(model.end);
                assertThat(logs[i].startPosition()).as("%s.startPosition() at clock %s, retention %s", SHARDS[i],
                        clock.millis(), model.retentionMs).isEqualTo(model.positionAtOrAfter(Long.MIN_VALUE,
                        clock.millis()));
            }
        }

        /** Reads each shard whole, with record and byte limits that make reads stop in many places. */
        void checkEverything() {
            for (int i = 0; i < SHARDS.length; i++) {
                compareRead(i, 0, Integer.MAX_VALUE, Long.MAX_VALUE);
                long position = 0;
                for (int step = 0; step < 10_000; step++) {
                    ExpectedRead expected = models[i].read(position, 7, 5_000, clock.millis());
                    compareRead(i, position, 7, 5_000);
                    if (expected.records().isEmpty()) {
                        break;
                    }
                    position = expected.nextPosition();
                }
                for (Map.Entry<Long, Expected> e : models[i].records.entrySet()) {
                    long t = e.getValue().arrivalMs();
                    assertThat(logs[i].positionAtOrAfter(t)).isEqualTo(models[i].positionAtOrAfter(t, clock.millis()));
                }
            }
        }

        @Override
        public void close() {
            if (store != null) {
                store.close();
            }
        }
    }
}
