package dev.millrace.storage.contract;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.KeyUnavailableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.millrace.storage.contract.LogRecords.dataOf;
import static dev.millrace.storage.contract.LogRecords.readAll;
import static dev.millrace.storage.contract.LogRecords.records;
import static dev.millrace.storage.contract.ShardLogContract.assertReadBack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every backend must do with records appended encrypted ({@link ShardLog#append(List, DataKey)}): they read back
 * as written, mixed with plain ones in one shard; a key that is disabled, missing or not the one that sealed them
 * makes reads of its records fail (never skip them) while other records still read; and time lookups and retention
 * work on encrypted records without their key.
 *
 * <p>A subclass says how to make a fresh {@link LogBackend} for each test.
 */
public abstract class EncryptedShardLogContract {
    protected ManualClock clock;
    protected LogBackend backend;
    protected TestKeyRing keys;
    protected LogStore store;

    protected abstract LogBackend newBackend();

    @BeforeEach
    void openBackend() {
        backend = newBackend();
        clock = new ManualClock(backend.clockStartMs());
        keys = new TestKeyRing();
        store = backend.open(clock, keys);
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

    /** Closes the store and opens a new one over the same storage, reading with {@code ring}. */
    protected LogStore reopen(KeyRing ring) {
        store.close();
        store = null;
        store = backend.open(clock, ring);
        return store;
    }

    private static List<AppendRecord> variedRecords() {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        String maxHashKey = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE).toString();
        return List.of(
                AppendRecord.of("key-a", "plain"),
                new AppendRecord(null, null, "no key".getBytes(StandardCharsets.UTF_8)),
                new AppendRecord("ключ-🔑", "0", everyByte),
                new AppendRecord("hashed", maxHashKey, new byte[0]),
                new AppendRecord("k".repeat(256), null, new byte[] {0, 0, 0}),
                // a view into a larger array, as a PutRecords record's data is into the request body: only the view
                new AppendRecord("view", null, everyByte, 100, 28));
    }

    @Test
    void encryptedRecordsReadBackAsWrittenAlsoAfterReopening() {
        DataKey key = keys.add("key-1");
        ShardLog log = store.openOrCreate("enc");
        List<AppendRecord> first = variedRecords();
        List<AppendRecord> second = records("b", 20);
        AppendResult a = log.append(first, key);
        AppendResult b = log.append(second, key);

        List<StoredRecord> all = readAll(log);
        assertReadBack(all.subList(0, first.size()), first, a);
        assertReadBack(all.subList(first.size(), all.size()), second, b);

        // From inside an encrypted batch, with the record and byte limits stopping inside it too.
        ReadResult part = log.read(b.positionOf(3), 2, Long.MAX_VALUE);
        assertThat(dataOf(part.records())).containsExactly("b-3", "b-4");
        ReadResult bytes = log.read(b.positionOf(5), 100, 7);
        assertThat(dataOf(bytes.records())).as("the byte budget counts plaintext data (3 bytes each)")
                .containsExactly("b-5", "b-6");
        assertThat(log.read(bytes.nextPosition(), 1, 1).records()).extracting(StoredRecord::position)
                .containsExactly(b.positionOf(7));

        ShardLog reopened = reopen(new TestKeyRing().with(key)).openOrCreate("enc");
        List<StoredRecord> again = readAll(reopened);
        assertReadBack(again.subList(0, first.size()), first, a);
        assertReadBack(again.subList(first.size(), again.size()), second, b);
    }

    @Test
    void plainAndEncryptedBatchesMixInOneShardAndADisabledKeyFailsOnlyItsRecords() {
        DataKey k1 = keys.add("key-1");
        DataKey k2 = keys.add("key-2");
        ShardLog log = store.openOrCreate("mixed");
        log.append(records("p1", 3));
        AppendResult enc1 = log.append(records("e1", 4), k1);
        AppendResult plain2 = log.append(records("p2", 2));
        AppendResult enc2 = log.append(records("e2", 3), k2);
        assertThat(dataOf(readAll(log))).containsExactly("p1-0", "p1-1", "p1-2", "e1-0", "e1-1", "e1-2", "e1-3",
                "p2-0", "p2-1", "e2-0", "e2-1", "e2-2");

        keys.disable("key-1");
        ReadResult before = log.read(0, 100, Long.MAX_VALUE);
        assertThat(dataOf(before.records())).as("the plain records before the disabled key's still read")
                .containsExactly("p1-0", "p1-1", "p1-2");
        assertThat(before.nextPosition()).as("and the reader stops in front of them, skipping nothing")
                .isLessThanOrEqualTo(enc1.positionOf(0));
        for (long from : new long[] {before.nextPosition(), enc1.positionOf(2)}) {
            assertThatThrownBy(() -> log.read(from, 100, Long.MAX_VALUE))
                    .isInstanceOfSatisfying(KeyUnavailableException.class, e -> {
                        assertThat(e.keyId()).isEqualTo("key-1");
                        assertThat(e.reason()).isEqualTo(KeyUnavailableException.Reason.DISABLED);
                    });
        }
        assertThat(dataOf(log.read(plain2.positionOf(0), 100, Long.MAX_VALUE).records()))
                .as("records after the disabled key's read").containsExactly("p2-0", "p2-1", "e2-0", "e2-1", "e2-2");

        keys.enable("key-1");
        assertThat(dataOf(log.read(enc1.positionOf(0), 4, Long.MAX_VALUE).records()))
                .containsExactly("e1-0", "e1-1", "e1-2", "e1-3");

        // A store whose key ring lacks the keys: plain records read, encrypted ones fail as not found.
        ShardLog keyless = reopen(KeyRing.NONE).openOrCreate("mixed");
        assertThat(dataOf(keyless.read(0, 100, Long.MAX_VALUE).records())).containsExactly("p1-0", "p1-1", "p1-2");
        assertThatThrownBy(() -> keyless.read(enc2.positionOf(0), 100, Long.MAX_VALUE))
                .isInstanceOfSatisfying(KeyUnavailableException.class, e -> {
                    assertThat(e.keyId()).isEqualTo("key-2");
                    assertThat(e.reason()).isEqualTo(KeyUnavailableException.Reason.NOT_FOUND);
                });
    }

    @Test
    void concurrentEncryptedAppendsAllReadBackInEachWritersOrder() throws Exception {
        DataKey key = keys.add("key-1");
        ShardLog log = store.openOrCreate("concurrent");
        int writers = 4;
        int batches = 25;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String prefix = "w" + w;
                done.add(pool.submit(() -> {
                    for (int b = 0; b < batches; b++) {
                        // Mostly encrypted, some plain: the writers race for positions either way.
                        log.append(records(prefix + "b" + b, 3), b % 5 == 4 ? null : key);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> read = dataOf(readAll(log));
        assertThat(read).hasSize(writers * batches * 3);
        for (int w = 0; w < writers; w++) {
            String prefix = "w" + w + "b";
            List<String> own = read.stream().filter(d -> d.startsWith(prefix)).toList();
            List<String> expected = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                for (int i = 0; i < 3; i++) {
                    expected.add(prefix + b + "-" + i);
                }
            }
            assertThat(own).as("writer %d's records, in its order", w).isEqualTo(expected);
        }
    }

    @Test
    void aKeyWithOtherMaterialUnderTheSameIdFailsAsCorruptData() {
        keys.add("key-1");
        ShardLog log = store.openOrCreate("wrong");
        log.append(records("secret", 3), keys.key("key-1"));

        TestKeyRing impostor = new TestKeyRing();
        impostor.add("key-1"); // same id, fresh random material
        ShardLog reopened = reopen(impostor).openOrCreate("wrong");
        assertThatThrownBy(() -> reopened.read(0, 100, Long.MAX_VALUE)).isInstanceOf(CorruptDataException.class);
    }

    @Test
    void timeLookupsAndRetentionWorkOnEncryptedRecordsWithoutTheirKey() throws InterruptedException {
        DataKey key = keys.add("key-1");
        ShardLog log = store.openOrCreate("time");
        log.retentionMs(60_000);
        List<AppendResult> old = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            old.add(log.append(records("old" + i, 2), key));
            passArrival(old.get(i).lastArrivalMs());
        }
        AppendResult fresh = log.append(records("new", 2), key);
        List<StoredRecord> all = readAll(log);
        assertThat(all).hasSize(14);

        keys.disable("key-1");
        long end = log.endPosition();
        for (StoredRecord r : all) {
            for (long t : new long[] {r.arrivalMs() - 1, r.arrivalMs(), r.arrivalMs() + 1}) {
                long expected = all.stream().filter(x -> x.arrivalMs() >= t).mapToLong(StoredRecord::position)
                        .findFirst().orElse(end);
                assertThat(log.positionAtOrAfter(t)).as("positionAtOrAfter(%s) with the key disabled", t)
                        .isEqualTo(expected);
            }
        }

        // The old records one millisecond past retention, the fresh ones just inside it.
        clock.setMs(old.get(5).lastArrivalMs() + 60_000 + 1);
        assertThat(log.startPosition()).isEqualTo(fresh.basePosition());
        assertThat(log.trimExpired()).isNotNegative();
        assertThat(store.trimExpired()).isNotNegative();
        assertThatThrownBy(() -> log.read(0, 100, Long.MAX_VALUE))
                .as("expired records are passed over without their key; the fresh ones need it")
                .isInstanceOf(KeyUnavailableException.class);

        keys.enable("key-1");
        assertThat(dataOf(readAll(log))).containsExactly("new-0", "new-1");
        assertThat(log.read(old.get(2).positionOf(0), 1, Long.MAX_VALUE).records())
                .extracting(StoredRecord::position).containsExactly(fresh.positionOf(0));
    }

    /** As {@link ShardLogContract#passArrival}: the next append arrives after {@code arrivalMs} on any backend. */
    private void passArrival(long arrivalMs) throws InterruptedException {
        if (clock.millis() <= arrivalMs) {
            clock.setMs(arrivalMs + 1);
        }
        while (System.currentTimeMillis() <= arrivalMs) {
            Thread.sleep(1);
        }
    }
}
