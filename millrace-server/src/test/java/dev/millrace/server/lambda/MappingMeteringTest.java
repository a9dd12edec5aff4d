package dev.millrace.server.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingState;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MappingMeter;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MappingMeteringTest {
    /** 2026-01-01T00:00:00Z, a minute's start. */
    private static final long T0 = 1_767_225_600_000L;
    private static final String UUID = "6f1c2d3e-0000-4000-8000-000000000001";
    private static final EventSourceMapping MAPPING = new EventSourceMapping(UUID,
            "arn:aws:lambda:eu-west-1:111122223333:function:fn:live",
            "arn:aws:kinesis:eu-west-1:111122223333:stream/orders", "TRIM_HORIZON", null, 100, 0, 1, -1, false, -1,
            0, List.of(), List.of(), null, null, null, Map.of(), true, MappingState.ENABLED, "User action", "OK", 1L);

    private final ManualClock clock = new ManualClock(T0 + 1_000);
    private final List<MinuteAggregate> published = new ArrayList<>();
    private final KinesisMetrics metrics = new KinesisMetrics(clock, (account, region, aggregates) -> {
        assertThat(account).isEqualTo("111122223333");
        assertThat(region).isEqualTo("eu-west-1");
        published.addAll(aggregates);
    });
    private final MappingMetering metering = new MappingMetering(metrics.account("111122223333", "eu-west-1"));

    @Test
    void theEnginesEventsBecomeTheMappingsMetricsUnderItsFunctionsUnqualifiedName() {
        metering.polled(MAPPING, 9);
        metering.filteredOut(MAPPING, 3);
        metering.invoked(MAPPING, 6, "function_error", 40, 2_000);
        metering.invoked(MAPPING, 6, "throttled", 1, 2_100);
        metering.invoked(MAPPING, 6, "not_delivered", 1, 2_200);
        metering.invoked(MAPPING, 6, "too_large", 1, 2_300);
        metering.invoked(MAPPING, 3, "success", 20, 2_400);
        metering.dropped(MAPPING, 3, true);
        metering.destinationDeliveryFailed(MAPPING, 3);

        clock.setMs(T0 + 60_000 + KinesisMetrics.PUBLISH_GRACE_MS);
        metrics.publishEnded();

        Map<String, String> fn = Map.of("FunctionName", "fn");
        Map<String, String> mapping = Map.of("EventSourceMappingUUID", UUID);
        assertThat(sum("Invocations", fn)).isEqualTo(2);
        assertThat(sum("Errors", fn)).isEqualTo(1);
        assertThat(sum("Throttles", fn)).isEqualTo(1);
        assertThat(sum("DestinationDeliveryFailures", fn)).isEqualTo(1);
        assertThat(aggregate("IteratorAge", fn).maximum()).isEqualTo(2_400);
        assertThat(aggregate("IteratorAge", fn).sampleCount()).isEqualTo(5);
        assertThat(aggregate("Duration", fn).sum()).as("the invocations that reached the function").isEqualTo(60);
        assertThat(sum("PolledEventCount", mapping)).isEqualTo(9);
        assertThat(sum("FilteredOutEventCount", mapping)).isEqualTo(3);
        assertThat(sum("InvokedEventCount", mapping)).isEqualTo(9);
        assertThat(sum("FailedInvokeEventCount", mapping)).isEqualTo(24);
        assertThat(sum("DroppedEventCount", mapping)).isEqualTo(3);
        assertThat(sum("OnFailureDestinationDeliveredEventCount", mapping)).isEqualTo(3);
    }

    @Test
    void outcomesOtherThanAnInvocationOrAThrottleCountAsNotInvoked() {
        assertThat(MappingMetering.invocation("success")).isEqualTo(MappingMeter.Invocation.SUCCESS);
        assertThat(MappingMetering.invocation("function_error")).isEqualTo(MappingMeter.Invocation.FUNCTION_ERROR);
        assertThat(MappingMetering.invocation("throttled")).isEqualTo(MappingMeter.Invocation.THROTTLED);
        assertThat(MappingMetering.invocation("not_delivered")).isEqualTo(MappingMeter.Invocation.NOT_INVOKED);
        assertThat(MappingMetering.invocation("too_large")).isEqualTo(MappingMeter.Invocation.NOT_INVOKED);
    }

    private double sum(String name, Map<String, String> dimensions) {
        return aggregate(name, dimensions).sum();
    }

    private MinuteAggregate aggregate(String name, Map<String, String> dimensions) {
        return published.stream().filter(a -> a.metricName().equals(name) && a.dimensions().equals(dimensions)
                && a.namespace().equals("AWS/Lambda")).findFirst().orElseThrow(() -> new AssertionError(name));
    }
}
