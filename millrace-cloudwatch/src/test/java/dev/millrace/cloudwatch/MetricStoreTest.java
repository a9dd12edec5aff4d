package dev.millrace.cloudwatch;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricStoreTest {
    private static final long M = 1_700_000_040_000L;
    private static final long MINUTE = 60_000;

    private final ManualClock clock = new ManualClock(M + 30_000);

    private static MetricStore.MetricId id(String name) {
        return new MetricStore.MetricId("App", name, List.of());
    }

    private static List<MetricStore.Bucket> all(MetricStore store, String name) {
        MetricStore.Metric metric = store.get(id(name));
        return metric == null ? List.of() : metric.buckets(Long.MIN_VALUE, Long.MAX_VALUE, null);
    }

    @Test
    void minutesOlderThanTheRetentionWindowAreDroppedAndIdleMetricsForgotten() {
        MetricStore store = new MetricStore(clock, Duration.ofMinutes(10), 100, 1_000);
        store.add(id("a"), "Count", M - 5 * MINUTE, 1, 1, 1, 1);
        store.add(id("a"), "Count", M - 1 * MINUTE, 1, 2, 2, 2);
        store.add(id("a"), "Count", M - 11 * MINUTE, 1, 3, 3, 3);
        assertThat(all(store, "a")).extracting(MetricStore.Bucket::minuteMs)
                .as("the minute 11 minutes ago is already out of the window").containsExactly(M - 5 * MINUTE,
                        M - MINUTE);
        assertThat(store.bucketCount()).isEqualTo(2);

        clock.advanceMs(6 * MINUTE); // now M+6:30; the window starts at M-4
        assertThat(all(store, "a")).extracting(MetricStore.Bucket::minuteMs).containsExactly(M - MINUTE);
        assertThat(store.bucketCount()).isEqualTo(1);

        clock.advanceMs(10 * MINUTE); // no minute left, and nothing received for 16 minutes
        assertThat(store.get(id("a"))).isNull();
        assertThat(store.bucketCount()).isZero();
        assertThat(store.droppedDatapoints()).as("ageing out is no drop").isZero();
    }

    @Test
    void pastTheMetricBoundNewMetricsAreDroppedAndCounted() {
        MetricStore store = new MetricStore(clock, Duration.ofHours(1), 2, 1_000);
        store.add(id("a"), "None", M, 1, 1, 1, 1, true);
        store.add(id("b"), "None", M, 1, 1, 1, 1, true);
        store.add(id("c"), "None", M, 5, 5, 1, 1, true);
        assertThat(store.get(id("c"))).isNull();
        assertThat(store.droppedDatapoints()).isEqualTo(5);
        store.add(id("a"), "None", M, 1, 1, 1, 1);
        assertThat(all(store, "a")).containsExactly(new MetricStore.Bucket(M, "None", 2, 2, 1, 1));
    }

    @Test
    void aFullStoreDropsItsOldestMinuteToKeepNewOnesAndExistingOnesStillMerge() {
        MetricStore store = new MetricStore(clock, Duration.ofHours(1), 100, 3);
        store.add(id("a"), "None", M - 2 * MINUTE, 1, 1, 1, 1);
        store.add(id("a"), "None", M - MINUTE, 1, 1, 1, 1);
        store.add(id("b"), "Count", M, 1, 1, 1, 1);
        // Full: merging into a minute held needs no room and evicts nothing.
        store.add(id("a"), "None", M - MINUTE, 1, 5, 0, 5);
        assertThat(store.evictedMinutes()).isZero();
        // A new minute: the oldest held (M-2) goes, of every metric, and the new one is kept.
        store.add(id("b"), "Bytes", M, 3, 3, 1, 1);
        assertThat(store.droppedDatapoints()).isZero();
        assertThat(store.evictedMinutes()).isEqualTo(1);
        assertThat(store.bucketCount()).isEqualTo(3);
        assertThat(all(store, "a")).containsExactly(new MetricStore.Bucket(M - MINUTE, "None", 2, 6, 0, 5));
        assertThat(all(store, "b")).extracting(MetricStore.Bucket::unit).containsExactly("Bytes", "Count");
    }

    @Test
    void publishedMetricsLeaveRoomForTheServersOwn() {
        MetricStore store = new MetricStore(clock, Duration.ofHours(1), 10, 1_000);
        for (int i = 0; i < 10; i++) {
            store.add(id("published-" + i), "None", M, 1, 1, 1, 1);
        }
        assertThat(store.droppedDatapoints()).as("published ones stop at 80 % of the slots").isEqualTo(2);
        store.add(id("own-1"), "Count", M, 4, 4, 1, 1, true);
        store.add(id("own-2"), "Count", M, 4, 4, 1, 1, true);
        assertThat(all(store, "own-2")).containsExactly(new MetricStore.Bucket(M, "Count", 4, 4, 1, 1));
        store.add(id("own-3"), "Count", M, 4, 4, 1, 1, true);
        assertThat(store.droppedDatapoints()).as("every slot taken").isEqualTo(6);
    }

    @Test
    void outOfOrderMinutesLandSortedAndAgeOutFromTheFront() {
        MetricStore store = new MetricStore(clock, Duration.ofHours(2), 10, 10_000);
        for (int i = 0; i < 100; i += 2) {
            store.add(id("a"), "None", M - i * MINUTE, 1, i, i, i);
        }
        for (int i = 1; i < 100; i += 2) {
            store.add(id("a"), "None", M - i * MINUTE, 1, i, i, i);
        }
        List<MetricStore.Bucket> buckets = all(store, "a");
        assertThat(buckets).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(buckets.get(i).minuteMs()).isEqualTo(M - (99 - i) * MINUTE);
            assertThat(buckets.get(i).sum()).isEqualTo(99 - i);
        }
        clock.advanceMs(118 * MINUTE); // now M+118:30: the window starts at M-2
        store.add(id("a"), "None", M, 1, 1, 1, 1);
        assertThat(all(store, "a")).extracting(MetricStore.Bucket::minuteMs).containsExactly(M - 2 * MINUTE,
                M - MINUTE, M);
        assertThat(all(store, "a").get(2).sampleCount()).isEqualTo(2);
        assertThat(store.bucketCount()).isEqualTo(3);
    }

    @Test
    void concurrentWritersLoseNothing() throws Exception {
        MetricStore store = new MetricStore(clock, Duration.ofHours(1), 1_000, 100_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        store.add(id("m" + (i % 7)), "Count", M - (i % 30) * MINUTE, 1, 1, 1, 1);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        double total = 0;
        for (int m = 0; m < 7; m++) {
            for (MetricStore.Bucket b : all(store, "m" + m)) {
                total += b.sampleCount();
            }
        }
        assertThat(total).isEqualTo(40_000);
        assertThat(store.bucketCount()).isEqualTo(7 * 30);
    }

    @Test
    void boundsAndRetentionAreChecked() {
        assertThatThrownBy(() -> new MetricStore(clock, Duration.ofSeconds(59), 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CloudWatchApi(clock, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MetricStore(clock, Duration.ofHours(1), 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
