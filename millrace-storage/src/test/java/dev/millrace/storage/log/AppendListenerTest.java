package dev.millrace.storage.log;

import dev.millrace.storage.AppendListener;
import dev.millrace.storage.Registration;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ShardLog#onAppend}: when listeners are told of appends, how often, and that they cannot fail one. */
class AppendListenerTest {
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private EmbeddedLogStore store;

    private ShardLog open(DurabilityPolicy durability, String key) {
        store = EmbeddedLogStore.open(LogConfig.defaults(dir).withDurability(durability, 60_000), clock);
        return store.openOrCreate(key);
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    /** What a listener saw when it was called: the append's result and what a read found at that moment. */
    private record Call(String shardKey, AppendResult result, List<String> readable) {
    }

    @ParameterizedTest
    @EnumSource(DurabilityPolicy.class)
    void aListenerIsToldOncePerAppendAfterItsRecordsAreReadable(DurabilityPolicy durability) {
        ShardLog log = open(durability, "told");
        List<Call> calls = new ArrayList<>();
        log.onAppend((key, result) -> calls.add(new Call(key, result,
                dataOf(log.read(result.basePosition(), 100, Long.MAX_VALUE).records()))));

        AppendResult first = log.append(records("a", 3));
        AppendResult second = log.append(records("b", 2));

        assertThat(calls).containsExactly(
                new Call("told", first, List.of("a-0", "a-1", "a-2")),
                new Call("told", second, List.of("b-0", "b-1")));
    }

    @Test
    void aThrowingListenerFailsNeitherTheAppendNorTheOtherListeners() {
        ShardLog log = open(DurabilityPolicy.SYNC, "throws");
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
        ShardLog log = open(DurabilityPolicy.SYNC, "closed");
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
        ShardLog log = open(DurabilityPolicy.SYNC, "twice");
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
    void aFailedAppendTellsNobody() {
        ShardLog log = open(DurabilityPolicy.SYNC, "sealed");
        AtomicInteger calls = new AtomicInteger();
        log.onAppend((key, result) -> calls.incrementAndGet());
        log.seal();

        assertThatThrownBy(() -> log.append(records("a", 1))).isInstanceOf(RuntimeException.class);
        assertThat(calls).hasValue(0);
    }

    @Test
    void concurrentAppendsSharingFsyncsAreEachToldOnceAndReadable() throws Exception {
        ShardLog log = open(DurabilityPolicy.SYNC, "group");
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
        for (int t = 0; t < 6; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    returned.add(log.append(List.of(AppendRecord.of("t" + thread, thread + ":" + i))));
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertThat(told).hasSize(240).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(returned);
        assertThat(unreadable).hasValue(0);
    }
}
