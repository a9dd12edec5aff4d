package dev.millrace.metrics;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.millrace.metrics.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;

class MappingMeterTest {
    /** 2026-01-01T00:00:00Z, a minute's start. */
    private static final long T0 = 1_767_225_600_000L;
    private static final String UUID_A = "a1b2c3d4-0000-0000-0000-00000000000a";
    private static final String UUID_B = "a1b2c3d4-0000-0000-0000-00000000000b";

    private final ManualClock clock = new ManualClock(T0 + 1_000);
    private final List<MinuteAggregate> published = new ArrayList<>();
    private final KinesisMetrics metrics = new KinesisMetrics(clock,
            (account, region, aggregates) -> published.addAll(aggregates));
    private final AccountMetrics account = metrics.account("111122223333", "eu-west-1");

    @Test
    void functionLevelMetricsArePublishedToAwsLambdaByFunctionNameSummedOverItsMappings() {
        MappingMeter a = account.mapping("fn", UUID_A);
        MappingMeter b = account.mapping("fn", UUID_B);
        a.invoked(10, MappingMeter.Invocation.SUCCESS, 20, 1_500);
        a.invoked(10, MappingMeter.Invocation.FUNCTION_ERROR, 20, 2_500);
        b.invoked(4, MappingMeter.Invocation.THROTTLED, 20, 700);
        b.invoked(4, MappingMeter.Invocation.SUCCESS, 20, 900);
        a.destinationDeliveryFailed();

        publishFirstMinute();

        Map<String, String> fn = Map.of("FunctionName", "fn");
        assertThat(merged("Invocations", fn)).isEqualTo(new double[]{3, 3, 1, 1});
        assertThat(merged("Errors", fn)).as("a sample per invocation, 1 for the error: Average is the error rate")
                .isEqualTo(new double[]{3, 1, 0, 1});
        assertThat(merged("Throttles", fn)).isEqualTo(new double[]{1, 1, 1, 1});
        assertThat(merged("IteratorAge", fn)).isEqualTo(new double[]{4, 5_600, 700, 2_500});
        assertThat(merged("Duration", fn)).as("of the invocations that reached it").isEqualTo(new double[]{3, 60, 20,
                20});
        assertThat(merged("DestinationDeliveryFailures", fn)).isEqualTo(new double[]{1, 1, 1, 1});
        assertThat(published).allSatisfy(p -> assertThat(p.namespace()).isEqualTo("AWS/Lambda"));
        assertThat(published.stream().filter(p -> p.metricName().equals("IteratorAge")).findFirst().orElseThrow()
                .unit()).isEqualTo("Milliseconds");
    }

    @Test
    void eventCountsArePublishedByMappingUuid() {
        MappingMeter a = account.mapping("fn", UUID_A);
        a.polled(12);
        a.filteredOut(2);
        a.invoked(10, MappingMeter.Invocation.FUNCTION_ERROR, 20, 0);
        a.invoked(10, MappingMeter.Invocation.THROTTLED, 20, 0);
        a.invoked(10, MappingMeter.Invocation.NOT_INVOKED, 20, 0);
        a.invoked(5, MappingMeter.Invocation.SUCCESS, 20, 0);
        a.dropped(5, true);
        a.dropped(3, false);

        publishFirstMinute();

        Map<String, String> mapping = Map.of("EventSourceMappingUUID", UUID_A);
        assertThat(merged("PolledEventCount", mapping)[1]).isEqualTo(12);
        assertThat(merged("FilteredOutEventCount", mapping)[1]).isEqualTo(2);
        assertThat(merged("InvokedEventCount", mapping)[1]).as("the records of invocations that reached it")
                .isEqualTo(15);
        assertThat(merged("FailedInvokeEventCount", mapping)[1]).isEqualTo(30);
        assertThat(merged("DroppedEventCount", mapping)[1]).isEqualTo(8);
        assertThat(merged("OnFailureDestinationDeliveredEventCount", mapping)[1]).isEqualTo(5);
        assertThat(merged("Invocations", Map.of("FunctionName", "fn"))[0]).as("a throttle is no invocation")
                .isEqualTo(2);
    }

    @Test
    void prometheusShowsEachMappingWithFunctionAndUuidLabels() {
        MappingMeter a = account.mapping("fn", UUID_A);
        a.polled(7);
        a.filteredOut(1);
        a.invoked(6, MappingMeter.Invocation.FUNCTION_ERROR, 20, 3_000);
        a.invoked(6, MappingMeter.Invocation.SUCCESS, 20, 1_250);
        a.dropped(2, false);
        account.mapping("other", UUID_B).invoked(1, MappingMeter.Invocation.SUCCESS, 20, 5);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();
        a.invoked(1, MappingMeter.Invocation.THROTTLED, 20, 1_400);

        String text = new String(new PrometheusExposition(metrics, StorageGauges.NONE).scrape(),
                StandardCharsets.UTF_8);

        Map<String, String> labels = Map.of("account", "111122223333", "region", "eu-west-1", "function", "fn",
                "mapping_uuid", UUID_A);
        assertThat(value(text, "lambda_event_source_mapping_invocations_total", labels)).isEqualTo(2);
        assertThat(value(text, "lambda_event_source_mapping_errors_total", labels)).isEqualTo(1);
        assertThat(value(text, "lambda_event_source_mapping_throttles_total", labels)).isEqualTo(1);
        assertThat(value(text, "lambda_event_source_mapping_polled_events_total", labels)).isEqualTo(7);
        assertThat(value(text, "lambda_event_source_mapping_filtered_out_events_total", labels)).isEqualTo(1);
        assertThat(value(text, "lambda_event_source_mapping_invoked_events_total", labels)).isEqualTo(12);
        assertThat(value(text, "lambda_event_source_mapping_failed_invoke_events_total", labels)).isEqualTo(7);
        assertThat(value(text, "lambda_event_source_mapping_dropped_events_total", labels)).isEqualTo(2);
        assertThat(value(text, "lambda_event_source_mapping_iterator_age_milliseconds", labels))
                .as("the last invocation's").isEqualTo(1_400);
        assertThat(value(text, "lambda_event_source_mapping_duration_milliseconds_count", labels)).isEqualTo(2);
        assertThat(value(text, "lambda_event_source_mapping_duration_milliseconds_sum", labels)).isEqualTo(40);
        assertThat(value(text, "lambda_event_source_mapping_invocations_total", Map.of("account", "111122223333",
                "region", "eu-west-1", "function", "other", "mapping_uuid", UUID_B))).isEqualTo(1);
        assertThat(text).as("none yet").doesNotContain("lambda_event_source_mapping_on_failure")
                .contains("# TYPE lambda_event_source_mapping_iterator_age_milliseconds gauge")
                .contains("AWS/Lambda IteratorAge.");
    }

    @Test
    void aWindowsFinalInvocationWithoutRecordsLeavesTheIteratorAgeAlone() {
        MappingMeter a = account.mapping("fn", UUID_A);
        a.invoked(3, MappingMeter.Invocation.SUCCESS, 20, 900);
        a.invoked(0, MappingMeter.Invocation.SUCCESS, 20, 0);

        publishFirstMinute();

        assertThat(merged("IteratorAge", Map.of("FunctionName", "fn"))).isEqualTo(new double[]{1, 900, 900, 900});
        assertThat(merged("Invocations", Map.of("FunctionName", "fn"))[1]).isEqualTo(2);
    }

    @Test
    void anIdleMappingIsForgottenOnceItsMinutesArePublished() {
        account.mapping("fn", UUID_A).polled(1);
        clock.setMs(T0 + KinesisMetrics.FORGET_IDLE_MS + 60_000 + KinesisMetrics.PUBLISH_GRACE_MS);
        metrics.publishEnded();
        assertThat(published).hasSize(1);
        assertThat(account.mappings()).isEmpty();
    }

    @Test
    void aMappingMovedToAnotherFunctionCountsUnderTheNewNameFromThenOn() {
        account.mapping("fn", UUID_A).invoked(1, MappingMeter.Invocation.SUCCESS, 20, 10);
        account.mapping("fn2", UUID_A).invoked(1, MappingMeter.Invocation.SUCCESS, 20, 10);

        publishFirstMinute();

        assertThat(merged("Invocations", Map.of("FunctionName", "fn"))[1]).isEqualTo(1);
        assertThat(merged("Invocations", Map.of("FunctionName", "fn2"))[1]).isEqualTo(1);
        assertThat(merged("InvokedEventCount", Map.of("EventSourceMappingUUID", UUID_A))[1]).isEqualTo(2);
    }

    private void publishFirstMinute() {
        clock.setMs(T0 + 60_000 + KinesisMetrics.PUBLISH_GRACE_MS);
        metrics.publishEnded();
    }

    /** The statistics CloudWatch keeps of {@code name} with exactly {@code dimensions}: count, sum, min, max. */
    private double[] merged(String name, Map<String, String> dimensions) {
        List<MinuteAggregate> of = published.stream()
                .filter(a -> a.metricName().equals(name) && a.dimensions().equals(dimensions))
                .collect(Collectors.toList());
        assertThat(of).as(name + dimensions).isNotEmpty();
        return new double[]{of.stream().mapToLong(MinuteAggregate::sampleCount).sum(),
                of.stream().mapToDouble(MinuteAggregate::sum).sum(),
                of.stream().mapToDouble(MinuteAggregate::minimum).min().orElseThrow(),
                of.stream().mapToDouble(MinuteAggregate::maximum).max().orElseThrow()};
    }
}
