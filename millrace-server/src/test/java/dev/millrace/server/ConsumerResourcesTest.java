package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tags and resource policies addressed by a consumer's ARN are the consumer's, not its stream's. */
class ConsumerResourcesTest {
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/c";

    @TempDir
    Path dir;
    private ApiHarness api;
    private String consumerArn;

    @BeforeEach
    @SuppressWarnings("unchecked")
    void setUp() {
        api = new ApiHarness(dir, new ManualClock(1_700_000_000_000L), ScalingLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"c\",\"ShardCount\":1}");
        Map<String, Object> r = api.call("RegisterStreamConsumer", "{\"StreamARN\":\"" + STREAM_ARN
                + "\",\"ConsumerName\":\"app\",\"Tags\":{\"team\":\"a\"}}");
        consumerArn = (String) ((Map<String, Object>) r.get("Consumer")).get("ConsumerARN");
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> tags(String arn) {
        return (List<Map<String, Object>>) api.call("ListTagsForResource", "{\"ResourceARN\":\"" + arn + "\"}")
                .get("Tags");
    }

    @Test
    void consumerTagsAreTheConsumers() {
        assertThat(consumerArn).matches("arn:aws:kinesis:us-east-1:000000000000:stream/c/consumer/app:\\d+");
        assertThat(tags(consumerArn)).extracting(t -> t.get("Key")).containsExactly("team");
        api.call("TagResource", "{\"ResourceARN\":\"" + consumerArn + "\",\"Tags\":{\"env\":\"dev\"}}");
        api.call("UntagResource", "{\"ResourceARN\":\"" + consumerArn + "\",\"TagKeys\":[\"team\"]}");
        assertThat(tags(consumerArn)).extracting(t -> t.get("Key")).containsExactly("env");
        assertThat(tags(STREAM_ARN)).isEmpty();
    }

    @Test
    void consumerPoliciesAreKeptApartFromTheStreams() {
        String policy = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                + "\"kinesis:SubscribeToShard\",\"Resource\":\"" + consumerArn + "\"}]}";
        api.call("PutResourcePolicy", "{\"ResourceARN\":\"" + consumerArn + "\",\"Policy\":\""
                + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(policy))
                + "\"}");
        assertThat(api.call("GetResourcePolicy", "{\"ResourceARN\":\"" + consumerArn + "\"}").get("Policy"))
                .isEqualTo(policy);
        assertThatThrownBy(() -> api.call("PutResourcePolicy", "{\"ResourceARN\":\"" + consumerArn
                + "\",\"Policy\":\"{\\\"v\\\":1}\"}")).as("a document IAM would refuse").isInstanceOfSatisfying(
                ApiHarness.ApiError.class, e -> assertThat(e.type).isEqualTo("InvalidArgumentException"));
        assertThat(api.call("GetResourcePolicy", "{\"ResourceARN\":\"" + STREAM_ARN + "\"}").get("Policy"))
                .isEqualTo("{}");
        api.call("DeleteResourcePolicy", "{\"ResourceARN\":\"" + consumerArn + "\"}");
        assertThat(api.call("GetResourcePolicy", "{\"ResourceARN\":\"" + consumerArn + "\"}").get("Policy"))
                .isEqualTo("{}");
    }

    @Test
    void unknownConsumersAreNotFound() {
        assertThatThrownBy(() -> tags(STREAM_ARN + "/consumer/nobody:1")).isInstanceOfSatisfying(
                ApiHarness.ApiError.class, e -> assertThat(e.type).isEqualTo("ResourceNotFoundException"));
    }
}
