package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * AWS's default quota of 50 streams in the on-demand capacity mode per account and region, which DescribeLimits
 * reports (OnDemandStreamCount, OnDemandStreamCountLimit): a 51st, created so or switched to it, is
 * LimitExceededException; provisioned streams are not counted, and deleting one makes room again.
 */
class OnDemandStreamLimitTest {
    private static final String ON_DEMAND = "\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}";

    @TempDir
    Path dir;

    @Test
    void theFiftyFirstOnDemandStreamIsRefusedWhetherCreatedOrSwitched() {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        try (ApiHarness api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, 0)) {
            for (int i = 0; i < StreamRegistry.ON_DEMAND_STREAM_LIMIT; i++) {
                api.call("CreateStream", "{\"StreamName\":\"od-" + i + "\"," + ON_DEMAND + "}");
            }
            Map<String, Object> limits = api.call("DescribeLimits", "{}");
            assertThat(limits).containsEntry("OnDemandStreamCount", 50L).containsEntry("OnDemandStreamCountLimit", 50L);

            assertThatThrownBy(() -> api.call("CreateStream", "{\"StreamName\":\"od-50\"," + ON_DEMAND + "}"))
                    .hasMessageContaining("LimitExceededException")
                    .hasMessageContaining("on-demand capacity mode").hasMessageContaining("Limit: 50");
            assertThat(api.streams.find("od-50")).isEmpty();

            api.call("CreateStream", "{\"StreamName\":\"provisioned\",\"ShardCount\":1}");
            String arn = (String) ((Map<?, ?>) api.call("DescribeStreamSummary", "{\"StreamName\":\"provisioned\"}")
                    .get("StreamDescriptionSummary")).get("StreamARN");
            assertThatThrownBy(() -> api.call("UpdateStreamMode", "{\"StreamARN\":\"" + arn + "\"," + ON_DEMAND
                    + "}")).hasMessageContaining("LimitExceededException");
            assertThat(api.streams.get("provisioned").mode()).isEqualTo("PROVISIONED");

            api.call("DeleteStream", "{\"StreamName\":\"od-0\"}");
            api.streams.settleDue();
            api.call("UpdateStreamMode", "{\"StreamARN\":\"" + arn + "\"," + ON_DEMAND + "}");
            api.streams.settleDue();
            assertThat(api.call("DescribeLimits", "{}")).containsEntry("OnDemandStreamCount", 50L);
        }
    }
}
