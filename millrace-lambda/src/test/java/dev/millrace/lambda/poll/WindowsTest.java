package dev.millrace.lambda.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.lambda.invoke.BatchContext;
import dev.millrace.lambda.invoke.EventRecord;
import dev.millrace.lambda.invoke.KinesisEventWriter;
import dev.millrace.lambda.poll.MappingCheckpoints.Checkpoint;
import dev.millrace.storage.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

class WindowsTest {

    private static final long START_MS = 1_765_000_020_000L;
    private final KinesisEventWriter writer = new KinesisEventWriter(new BatchContext("shardId-000000000000",
            "arn:aws:kinesis:eu-west-1:123456789012:stream/s", "eu-west-1", "arn:aws:iam::123456789012:role/fn"));

    private ShardWorker.Pending pending(long position, long arrivalMs) {
        byte[] data = ("r" + position).getBytes(StandardCharsets.UTF_8);
        EventRecord event = new EventRecord("k", Long.toString(position), data, arrivalMs);
        return new ShardWorker.Pending(new StoredRecord(position, arrivalMs, "k", null, data), event,
                writer.recordBytes(event), arrivalMs);
    }

    private static long bytes(ArrayDeque<ShardWorker.Pending> queue) {
        return queue.stream().mapToLong(ShardWorker.Pending::eventBytes).sum();
    }

    @Test
    void aStateOverTheLimitIsNeitherKeptNorCheckpointedAndEndsTheWindowEarly() {
        Windows windows = new Windows(10_000, null);
        ArrayDeque<ShardWorker.Pending> queue = new ArrayDeque<>();
        queue.add(pending(0, START_MS + 1));
        queue.add(pending(1, START_MS + 2));
        Windows.Batch first = windows.next(queue, bytes(queue), 1, ShardWorker.MAX_EVENT_BYTES, writer, 0, START_MS + 3, false,
                true);
        assertThat(first.records()).hasSize(1);
        assertThat(first.window().finalInvoke()).isFalse();
        windows.succeeded(first.window(), "{\"n\":1}", false, false);
        assertThat(windows.checkpoint(1)).isEqualTo(new Checkpoint(1, false, START_MS, "{\"n\":1}"));

        Windows.Batch second = windows.next(queue, bytes(queue), 1, ShardWorker.MAX_EVENT_BYTES, writer, 0, START_MS + 4, false,
                true);
        windows.succeeded(second.window(), "{\"huge\":\"...\"}", true, false);
        assertThat(windows.state()).as("the last state within the limit").isEqualTo("{\"n\":1}");
        assertThat(windows.checkpoint(2)).isEqualTo(new Checkpoint(2, false, START_MS, "{\"n\":1}"));

        Windows.Batch last = windows.next(queue, bytes(queue), 1, ShardWorker.MAX_EVENT_BYTES, writer, 0, START_MS + 5, false,
                true);
        assertThat(last.records()).isEmpty();
        assertThat(last.window().finalInvoke()).isTrue();
        assertThat(last.window().terminatedEarly()).isTrue();
        assertThat(last.window().stateJson()).isEqualTo("{\"n\":1}");
        windows.succeeded(last.window(), "{}", false, true);
        assertThat(windows.open()).isFalse();
        assertThat(windows.checkpoint(2)).isEqualTo(Checkpoint.at(2));
    }

    @Test
    void aBatchIsDueOnlyOnceTheBatchingWindowPassedTheBatchIsFullOrTheWindowEnded() {
        Windows windows = new Windows(10_000, null);
        ArrayDeque<ShardWorker.Pending> queue = new ArrayDeque<>();
        queue.add(pending(0, START_MS + 1));
        queue.add(pending(1, START_MS + 2));
        // Batching window of 1 s from the head's read (its arrival here): not yet, and the queue is left as it is.
        assertThat(windows.next(queue, bytes(queue), 5, ShardWorker.MAX_EVENT_BYTES, writer, 1_000, START_MS + 500,
                false, true)).isNull();
        assertThat(queue).hasSize(2);
        // A record beyond the window ends it: its records go now, as its final invocation.
        queue.add(pending(2, START_MS + 10_000));
        Windows.Batch ended = windows.next(queue, bytes(queue), 5, ShardWorker.MAX_EVENT_BYTES, writer, 1_000,
                START_MS + 500, false, true);
        assertThat(ended.records()).hasSize(2);
        assertThat(ended.window().finalInvoke()).isTrue();
        windows.succeeded(ended.window(), "{}", false, true);
        // More than a batch queued: a full batch goes at once.
        queue.add(pending(3, START_MS + 10_001));
        queue.add(pending(4, START_MS + 10_002));
        Windows.Batch full = windows.next(queue, bytes(queue), 2, ShardWorker.MAX_EVENT_BYTES, writer, 1_000,
                START_MS + 10_003, false, true);
        assertThat(full.records()).hasSize(2);
        assertThat(full.window().finalInvoke()).isFalse();
        // The batching window passed: the last one goes.
        assertThat(windows.next(queue, bytes(queue), 2, ShardWorker.MAX_EVENT_BYTES, writer, 1_000,
                START_MS + 10_003, false, true)).isNull();
        assertThat(windows.next(queue, bytes(queue), 2, ShardWorker.MAX_EVENT_BYTES, writer, 1_000,
                START_MS + 11_004, false, true).records()).hasSize(1);
    }
}
