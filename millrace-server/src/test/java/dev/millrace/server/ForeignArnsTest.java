package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An ARN reaches a local stream or consumer only if it is exactly one of this account's, region's and partition's
 * (issue #13: a StreamARN naming another account reached a local stream when it embedded this account's ARN text).
 * Each foreign ARN is tried as a StreamARN, a ConsumerARN and a ResourceARN; none may succeed.
 */
class ForeignArnsTest {
    private static final String HERE = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private ApiHarness api;
    private String consumerArn;

    @BeforeEach
    void open() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.call("CreateStream", "{\"StreamName\":\"orders\",\"ShardCount\":1}");
        api.call("CreateStream", "{\"StreamName\":\"x\",\"ShardCount\":1}");
        @SuppressWarnings("unchecked")
        Map<String, Object> c = (Map<String, Object>) api.call("RegisterStreamConsumer",
                "{\"StreamARN\":\"" + HERE + "\",\"ConsumerName\":\"c\"}").get("Consumer");
        consumerArn = (String) c.get("ConsumerARN");
    }

    @AfterEach
    void close() {
        api.close();
    }

    private void refused(String operation, String body) {
        ApiHarness.ApiError e = catchThrowableOfType(() -> api.call(operation, body), ApiHarness.ApiError.class);
        assertThat(e).as("%s %s must not reach a local resource", operation, body).isNotNull();
        assertThat(e.type).as("%s %s", operation, body).isIn("ResourceNotFoundException", "ValidationException");
    }

    @Test
    void localArnsWork() {
        assertThat(api.call("DescribeStreamSummary", "{\"StreamARN\":\"" + HERE + "\"}")).isNotEmpty();
        assertThat(api.call("DescribeStreamConsumer", "{\"ConsumerARN\":\"" + consumerArn + "\"}")).isNotEmpty();
        assertThat(api.call("ListTagsForResource", "{\"ResourceARN\":\"" + HERE + "\"}")).isNotNull();
        assertThat(api.call("ListTagsForResource", "{\"ResourceARN\":\"" + consumerArn + "\"}")).isNotNull();
    }

    @Test
    void streamArnsOfAnotherAccountRegionOrPartitionReachNothing() {
        String embedded = "arn:aws:kinesis:us-east-1:111111111111:stream/x/" + HERE;
        for (String arn : List.of(
                "arn:aws:kinesis:us-east-1:111111111111:stream/orders",
                "arn:aws:kinesis:eu-west-1:000000000000:stream/orders",
                "arn:aws-cn:kinesis:us-east-1:000000000000:stream/orders",
                "arn:aws-us-gov:kinesis:us-east-1:000000000000:stream/orders",
                "arn:aws:kinesis:us-east-1:111111111111:stream/" + HERE,
                embedded,
                HERE + "/arn:aws:kinesis:us-east-1:111111111111:stream/x",
                HERE + "/x",
                HERE + "/consumer/c:1")) {
            refused("DescribeStreamSummary", "{\"StreamARN\":\"" + arn + "\"}");
            refused("ListTagsForResource", "{\"ResourceARN\":\"" + arn + "\"}");
            refused("DescribeStreamConsumer", "{\"StreamARN\":\"" + arn + "\",\"ConsumerName\":\"c\"}");
        }
    }

    @Test
    void consumerArnsOfAnotherAccountRegionOrPartitionReachNothing() {
        String tail = consumerArn.substring(HERE.length());
        for (String arn : List.of(
                "arn:aws:kinesis:us-east-1:111111111111:stream/orders" + tail,
                "arn:aws:kinesis:eu-west-1:000000000000:stream/orders" + tail,
                "arn:aws-cn:kinesis:us-east-1:000000000000:stream/orders" + tail,
                "arn:aws:kinesis:us-east-1:111111111111:stream/x/" + consumerArn,
                "arn:aws:kinesis:us-east-1:111111111111:stream/x/consumer/" + consumerArn,
                consumerArn + "/arn:aws:kinesis:us-east-1:111111111111:stream/x/consumer/c:1",
                consumerArn + "0")) {
            refused("DescribeStreamConsumer", "{\"ConsumerARN\":\"" + arn + "\"}");
            refused("ListTagsForResource", "{\"ResourceARN\":\"" + arn + "\"}");
        }
    }
}
