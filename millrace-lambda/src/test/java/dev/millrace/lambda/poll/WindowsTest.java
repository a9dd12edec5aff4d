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

    @Test
    void aStateOverTheLimitIsNeitherKeptNorCheckpointedAndEndsTheWindowEarly() {
        Windows windows = new Windows(10_000, null);
        ArrayDeque<ShardWorker.Pending> queue = new ArrayDeque<>();
        queue.add(pending(0, START_MS + 1));
        queue.add(pending(1, START_MS + 2));
        Windows.Batch first = windows.next(queue, 1, ShardWorker.MAX_EVENT_BYTES, writer, 0, START_MS + 3, false,
                true);
        assertThat(first.records()).hasSize(1);
        assertThat(first.window().finalInvoke()).isFalse();
        windows.succeeded(first.window(), "{\"n\":1}", false, false);
        assertThat(windows.checkpoint(1)).isEqualTo(new Checkpoint(1, false, START_MS, "{\"n\":1}"));

        Windows.Batch second = windows.next(queue, 1, ShardWorker.MAX_EVENT_BYTES, writer, 0, START_MS + 4, false,
                true);
        windows.succeeded(second.window(), "{\"huge\":\"...\"}", true, false);
        assertThat(windows.state()).as("the last state within the limit").isEqualTo("{\"n\":1}");
        assertThat(windows.checkpoint(2)).isEqualTo(new Checkpoint(2, false, START_MS, "{\"n\":1}"));

        Windows.Batch last = windows.next(queue, 1, ShardWorker.MAX_EVENT_BYTES, writer, 0, START_MS + 5, false,
                true);
        assertThat(last.records()).isEmpty();
        assertThat(last.window().finalInvoke()).isTrue();
        assertThat(last.window().terminatedEarly()).isTrue();
        assertThat(last.window().stateJson()).isEqualTo("{\"n\":1}");
        windows.succeeded(last.window(), "{}", false, true);
        assertThat(windows.open()).isFalse();
        assertThat(windows.checkpoint(2)).isEqualTo(Checkpoint.at(2));
    }
}
