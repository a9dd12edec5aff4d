package dev.millrace.storage.log;

import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ShardLog#onAppend} under each of the embedded engine's durability policies: a listener is told once per
 * append, after its records are readable, whether the append waited for its own fsync or not. The rest of what
 * listeners may expect, on every backend, is in {@link dev.millrace.storage.contract.ShardLogContract}.
 */
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
}
