package dev.millrace.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link TailRun} against {@link FakeKinesis}: a lineage of splits and merges read parents first, every record once,
 * the stop at the data present at the start, and follow handing over to children found at a shard's end.
 */
class TailRunTest {
    private final FakeKinesis kinesis = new FakeKinesis();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private List<String> lines() {
        String text = bytes.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    private TailRun run(StartPosition from, boolean follow) {
        return new TailRun(kinesis, new TailRun.Settings("s", from, follow, RecordFormat.TEXT, true, 1, 4),
                (shardId, at) -> new PollingFeed(kinesis, "s", shardId, at), new PrintStream(bytes, true,
                StandardCharsets.UTF_8));
    }

    /** 0 splits into 1 and 2; 1 and 2 merge into 3; 4 is an unrelated open shard whose parent has expired. */
    private void lineage() {
        kinesis.shard("s0").closed = true;
        kinesis.shard("s1", "s0").closed = true;
        kinesis.shard("s2", "s0").closed = true;
        kinesis.shard("s3", "s1", "s2");
        kinesis.shard("s4", "gone");
        for (int i = 0; i < 5; i++) {
            for (String shard : List.of("s0", "s1", "s2", "s3", "s4")) {
                kinesis.write(shard, shard + "-" + i);
            }
        }
    }

    @Test
    void everyRecordOnceAndEachChildAfterAllItsParents() throws Exception {
        lineage();
        TailRun tail = run(StartPosition.TRIM_HORIZON, false);
        assertThat(tail.run(new CompletableFuture<>())).as("ended by itself, not by a stop").isFalse();

        List<String> lines = lines();
        assertThat(lines).hasSize(25).doesNotHaveDuplicates();
        for (String shard : List.of("s0", "s1", "s2", "s3", "s4")) {
            List<String> own = lines.stream().filter(l -> l.startsWith(shard + "-")).toList();
            assertThat(own).as("a shard's records in order").containsExactly(shard + "-0", shard + "-1",
                    shard + "-2", shard + "-3", shard + "-4");
        }
        assertThat(lastIndex(lines, "s0")).isLessThan(firstIndex(lines, "s1")).isLessThan(firstIndex(lines, "s2"));
        assertThat(firstIndex(lines, "s3")).as("the merge child after both parents")
                .isGreaterThan(lastIndex(lines, "s1")).isGreaterThan(lastIndex(lines, "s2"));
        assertThat(tail.printed()).isEqualTo(25);
    }

    @Test
    void withoutFollowRecordsWrittenAfterTheStartAreNotPrinted() throws Exception {
        kinesis.shard("s0");
        for (int i = 0; i < 5; i++) {
            kinesis.write("s0", "before-" + i);
        }
        // Every GetRecords call, the reader's and the fence's, lets a writer add a record.
        int[] written = {0};
        kinesis.onGetRecords = () -> kinesis.write("s0", "after-" + written[0]++);

        run(StartPosition.TRIM_HORIZON, false).run(new CompletableFuture<>());

        assertThat(lines()).containsExactly("before-0", "before-1", "before-2", "before-3", "before-4");
        assertThat(written[0]).as("the writer did write while the tail read").isPositive();
    }

    @Test
    void latestWithoutFollowPrintsNothingAndEnds() throws Exception {
        kinesis.shard("s0");
        kinesis.write("s0", "old");
        assertThat(run(StartPosition.LATEST, false).run(new CompletableFuture<>())).isFalse();
        assertThat(lines()).isEmpty();
    }

    @Test
    void followHandsOverToChildrenFoundAtTheEndOfTheParentAndStopsOnTheSignal() throws Exception {
        FakeKinesis.FakeShard parent = kinesis.shard("s0");
        kinesis.write("s0", "p-0");
        CompletableFuture<Void> stop = new CompletableFuture<>();
        TailRun tail = run(StartPosition.TRIM_HORIZON, true);
        CompletableFuture<Boolean> running = CompletableFuture.supplyAsync(() -> {
            try {
                return tail.run(stop);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await(() -> lines().size() == 1);
        synchronized (kinesis) {
            kinesis.write("s0", "p-1");
            kinesis.shard("s1", "s0");
            kinesis.write("s1", "c-0");
            parent.closed = true;
        }
        await(() -> lines().size() == 3);
        kinesis.write("s1", "c-1");
        await(() -> lines().size() == 4);
        stop.complete(null);
        assertThat(running.get(10, TimeUnit.SECONDS)).as("ended by the stop").isTrue();
        assertThat(lines()).containsExactly("p-0", "p-1", "c-0", "c-1");
    }

    @Test
    void aFailedCallEndsTheRunWithItsError() {
        kinesis.shard("s0");
        kinesis.write("s0", "x");
        kinesis.onGetRecords = () -> {
            throw software.amazon.awssdk.services.kinesis.model.KinesisException.builder().message("boom")
                    .statusCode(500).build();
        };
        assertThatThrownBy(() -> run(StartPosition.TRIM_HORIZON, false).run(new CompletableFuture<>()))
                .hasMessageContaining("boom");
    }

    @Test
    void kplRecordsArePrintedAsTheirUserRecords() throws Exception {
        kinesis.shard("s0");
        kinesis.write("s0", "outer", KplAggregationTest.aggregate(List.of("k1", "k2"), List.of(),
                List.of(new long[] {0, -1}, new long[] {1, -1}), List.of("first", "second")));
        kinesis.write("s0", "plain");
        run(StartPosition.TRIM_HORIZON, false).run(new CompletableFuture<>());
        assertThat(lines()).containsExactly("first", "second", "plain");
    }

    private static int firstIndex(List<String> lines, String shard) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(shard + "-")) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndex(List<String> lines, String shard) {
        int last = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(shard + "-")) {
                last = i;
            }
        }
        return last;
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
