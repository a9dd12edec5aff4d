package dev.millrace.server.cluster;

import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.metrics.MinuteSink;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A node that is not the metadata writer holds its minutes for the writer, hands them over once, and holds no more
 * than its bound; the report survives its encoding exactly, and a damaged one is refused.
 */
class ClusterMetricsTest {
    private record Published(String accountId, String region, List<MinuteAggregate> aggregates) {
    }

    private static MinuteAggregate aggregate(String stream, long minuteStartMs, long count) {
        return new MinuteAggregate("AWS/Kinesis", "IncomingRecords", Map.of("StreamName", stream), "Count",
                minuteStartMs, count, count * 2.5, 1.0, 4.0);
    }

    @Test
    void theWriterStoresItsOwnMinutesAndAFollowerHoldsThemForTheWriterUntilCollected() {
        ClusterMetrics metrics = new ClusterMetrics();
        List<Published> local = new ArrayList<>();
        AtomicBoolean writer = new AtomicBoolean(true);
        MinuteSink sink = metrics.sink(writer::get, (a, r, list) -> local.add(new Published(a, r, list)));

        sink.publish("111122223333", "eu-west-1", List.of(aggregate("a", 60_000, 3)));
        assertThat(local).hasSize(1);
        assertThat(ClusterMetrics.decode(metrics.reportHere())).isEmpty();

        writer.set(false);
        sink.publish("111122223333", "eu-west-1", List.of(aggregate("a", 120_000, 5), aggregate("b", 120_000, 1)));
        sink.publish("000000000000", "us-east-1", List.of(aggregate("c", 120_000, 7)));
        assertThat(local).hasSize(1);

        List<Published> handedOver = new ArrayList<>();
        MinuteSink writerSide = (a, r, list) -> handedOver.add(new Published(a, r, list));
        ClusterMetrics.decode(metrics.reportHere()).forEach(b -> writerSide.publish(b.accountId(), b.region(),
                b.aggregates()));
        assertThat(handedOver).containsExactly(
                new Published("111122223333", "eu-west-1", List.of(aggregate("a", 120_000, 5),
                        aggregate("b", 120_000, 1))),
                new Published("000000000000", "us-east-1", List.of(aggregate("c", 120_000, 7))));
        // Handed over once: a second collection finds nothing, so nothing is ever counted twice.
        assertThat(ClusterMetrics.decode(metrics.reportHere())).isEmpty();
    }

    @Test
    void aFollowerWhoseMinutesAreNeverCollectedKeepsTheNewestWithinItsBound() {
        ClusterMetrics metrics = new ClusterMetrics();
        MinuteSink sink = metrics.sink(() -> false, MinuteSink.NONE);
        int perBatch = 1_000;
        int batches = ClusterMetrics.MAX_PENDING_AGGREGATES / perBatch + 50;
        for (int i = 0; i < batches; i++) {
            List<MinuteAggregate> list = new ArrayList<>();
            for (int j = 0; j < perBatch; j++) {
                list.add(aggregate("s" + j, i * 60_000L, 1));
            }
            sink.publish("000000000000", "us-east-1", list);
        }
        assertThat(metrics.droppedAggregates()).isEqualTo(50L * perBatch);
        var kept = ClusterMetrics.decode(metrics.reportHere());
        assertThat(kept.stream().mapToInt(b -> b.aggregates().size()).sum())
                .isEqualTo(ClusterMetrics.MAX_PENDING_AGGREGATES);
        assertThat(kept.get(0).aggregates().get(0).minuteStartMs()).as("the oldest went first").isEqualTo(50 * 60_000L);
    }

    @Test
    void aDamagedReportIsRefused() {
        ClusterMetrics metrics = new ClusterMetrics();
        metrics.sink(() -> false, MinuteSink.NONE).publish("000000000000", "us-east-1", List.of(aggregate("a", 0, 1)));
        byte[] report = metrics.reportHere();
        byte[] cut = java.util.Arrays.copyOf(report, report.length - 3);
        assertThatThrownBy(() -> ClusterMetrics.decode(cut)).isInstanceOf(IllegalArgumentException.class);
        byte[] longer = java.util.Arrays.copyOf(report, report.length + 1);
        assertThatThrownBy(() -> ClusterMetrics.decode(longer)).isInstanceOf(IllegalArgumentException.class);
    }
}
