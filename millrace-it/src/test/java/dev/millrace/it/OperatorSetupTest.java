package dev.millrace.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator's set-up, against millrace.jar run as a child process and the real SDK: streams created at start
 * ({@code --create-stream}) and not again on a restart, options from {@code MILLRACE_*} variables and a
 * {@code --config} YAML file with their precedence, start refused for a bad key or value naming where it came from,
 * {@code /health/ready} 503 until the streams are ACTIVE, and {@code --log-format json} lines that a JSON parser
 * reads, carrying the lifecycle events and the request log.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class OperatorSetupTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void streamsOfCreateStreamExistAtStartAndARestartLeavesThemAlone() throws Exception {
        Path data = dir.resolve("data");
        Instant aCreated;
        try (MillraceProcess server = MillraceProcess.start(data, "--create-stream", "a:2", "--create-stream",
                "b:on-demand");
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            assertThat(get(server.endpoint(), "/health/ready").statusCode()).isEqualTo(200);
            StreamDescriptionSummary a = summary(kinesis, "a");
            assertThat(a.streamStatus()).isEqualTo(StreamStatus.ACTIVE);
            assertThat(a.openShardCount()).isEqualTo(2);
            assertThat(a.streamModeDetails().streamMode()).isEqualTo(StreamMode.PROVISIONED);
            StreamDescriptionSummary b = summary(kinesis, "b");
            assertThat(b.streamStatus()).isEqualTo(StreamStatus.ACTIVE);
            assertThat(b.streamModeDetails().streamMode()).isEqualTo(StreamMode.ON_DEMAND);
            aCreated = a.streamCreationTimestamp();
            assertThat(server.output()).contains("Stream a created", "Stream b created");
            assertThat(server.stop()).isZero();
        }
        // The same flags again, and one more stream: the two are found, not created; the new one is.
        try (MillraceProcess server = MillraceProcess.start(data, "--create-stream", "a:2,b:on-demand",
                "--create-stream", "c");
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            assertThat(get(server.endpoint(), "/health/ready").statusCode()).isEqualTo(200);
            assertThat(summary(kinesis, "a").streamCreationTimestamp()).as("not created again")
                    .isEqualTo(aCreated);
            assertThat(summary(kinesis, "c").openShardCount()).isEqualTo(1);
            assertThat(server.output()).doesNotContain("Stream a created", "Stream b created")
                    .contains("Stream a of --create-stream exists already", "Stream c created");
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void readyIsServiceUnavailableUntilTheStreamsAreActive() throws Exception {
        try (MillraceProcess server = MillraceProcess.startWithTransitionDelay(dir, 3_000, "--create-stream",
                "slow:1");
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            HttpResponse<String> early = get(server.endpoint(), "/health/ready");
            // Only if the stream was still CREATING after the answer does the answer say anything (a machine so slow
            // that 3 s passed aborts the test rather than pass or fail it on a guess).
            assumeThat(summary(kinesis, "slow").streamStatus()).as("still within the transition delay")
                    .isEqualTo(StreamStatus.CREATING);
            assertThat(early.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(early.body());
            assertThat(body.get("status").asText()).isEqualTo("not ready");
            assertThat(body.get("reasons").toString()).contains("stream slow is not ACTIVE yet");
            assertThat(get(server.endpoint(), "/health/live").statusCode()).isEqualTo(200);
            assertThat(get(server.endpoint(), "/health").body()).as("kept for existing users").isEqualTo("ok");

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> get(server.endpoint(), "/health/ready").statusCode() == 200);
            assertThat(JSON.readTree(get(server.endpoint(), "/health/ready").body()).get("status").asText())
                    .isEqualTo("ready");
            assertThat(summary(kinesis, "slow").streamStatus()).isEqualTo(StreamStatus.ACTIVE);
        }
    }

    @Test
    void optionsComeFromTheEnvironmentAndTheConfigFileCommandLineFirst() throws Exception {
        Path config = dir.resolve("millrace.yaml");
        Files.writeString(config, String.join("\n",
                "# shard-limit is also set by the environment, account-id also on the command line",
                "shard-limit: 7",
                "account-id: '111111111111'",
                "create-stream:",
                "  - from-file:3",
                ""));
        Map<String, String> env = Map.of("MILLRACE_CONFIG", config.toString(), "MILLRACE_SHARD_LIMIT", "9");
        try (MillraceProcess server = MillraceProcess.startWithEnv(dir.resolve("data"), env,
                "--account-id", "222222222222");
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            assertThat(kinesis.describeLimits().shardLimit()).as("the environment over the file").isEqualTo(9);
            StreamDescriptionSummary fromFile = summary(kinesis, "from-file");
            assertThat(fromFile.openShardCount()).as("the file's create-stream").isEqualTo(3);
            assertThat(fromFile.streamARN()).as("the command line over the file").contains(":222222222222:");
            assertThat(server.output()).contains("--shard-limit (environment variable MILLRACE_SHARD_LIMIT)",
                    "--create-stream (config file " + config + " line 4)");
        }
    }

    @Test
    void aBadKeyOrValueStopsTheStartAndSaysWhere() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "port: 0\nprot: 4567\n");
        try (MillraceProcess server = MillraceProcess.start(dir.resolve("data"), "--config", config.toString())) {
            assertThat(server.waitForExit()).as("a usage error").isEqualTo(2);
            assertThat(server.output()).contains("config file " + config + " line 2: unknown key 'prot'")
                    .doesNotContain("Millrace listening");
        }
        try (MillraceProcess server = MillraceProcess.startWithEnv(dir.resolve("data"),
                Map.of("MILLRACE_SHARD_LIMIT", "lots"))) {
            assertThat(server.waitForExit()).isEqualTo(2);
            assertThat(server.output()).contains("--shard-limit", "'lots'",
                    "from environment variable MILLRACE_SHARD_LIMIT");
        }
    }

    @Test
    void jsonLogsCarryLifecycleEventsAndTheRequestLog() throws Exception {
        List<String> lines;
        try (MillraceProcess server = MillraceProcess.start(dir, "--log-format", "json", "--request-log");
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            kinesis.createStream(b -> b.streamName("life").shardCount(1));
            String middle = new BigInteger("2").pow(127).toString();
            kinesis.splitShard(b -> b.streamName("life").shardToSplit("shardId-000000000000")
                    .newStartingHashKey(middle));
            kinesis.deleteStream(b -> b.streamName("life"));
            assertThat(catchThrowable(() -> summary(kinesis, "never-made")))
                    .isInstanceOf(ResourceNotFoundException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.output().contains("stream-deleted"));
            assertThat(server.stop()).isZero();
            lines = List.of(server.output().split("\n"));
        }
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("WARNING: ")) {
                continue; // the JVM's own, before logging starts
            }
            events.add(JSON.readTree(line));
        }
        assertThat(events).as("every line is a JSON object").allMatch(JsonNode::isObject);
        Map<String, JsonNode> byEvent = new HashMap<>();
        List<Map<String, String>> requests = new ArrayList<>();
        for (JsonNode e : events) {
            Map<String, String> kv = keyValues(e);
            if (kv.containsKey("event")) {
                byEvent.putIfAbsent(kv.get("event"), e);
            }
            if (e.path("loggerName").asText().endsWith("RequestLog")) {
                requests.add(kv);
            }
        }
        assertThat(byEvent).containsKeys("stream-created", "stream-active", "shard-split", "stream-deleting",
                "stream-deleted");
        JsonNode split = byEvent.get("shard-split");
        assertThat(split.get("level").asText()).isEqualTo("INFO");
        assertThat(keyValues(split)).containsEntry("stream", "life")
                .containsEntry("arn", KinesisApiContract.arn("life")).containsEntry("region", "us-east-1")
                .containsEntry("shard", "shardId-000000000000");
        assertThat(split.get("formattedMessage").asText())
                .contains("shard shardId-000000000000 split into shardId-000000000001 and shardId-000000000002");
        assertThat(requests).anySatisfy(r -> assertThat(r).containsEntry("operation", "SplitShard")
                .containsEntry("service", "kinesis").containsEntry("stream", "life").containsEntry("status", "200")
                .containsKeys("latencyMs", "bytesIn", "bytesOut", "requestId", "remote"));
        assertThat(requests).as("an error is logged with its type").anySatisfy(r -> assertThat(r)
                .containsEntry("operation", "DescribeStreamSummary").containsEntry("status", "400")
                .containsEntry("error", "ResourceNotFoundException"));
    }

    /** The key-value pairs of a JsonEncoder line: {@code "kvpList":[{"k":"v"},...]}. */
    private static Map<String, String> keyValues(JsonNode line) {
        Map<String, String> out = new HashMap<>();
        JsonNode list = line.path("kvpList");
        for (JsonNode pair : list.isArray() ? list : List.of(list)) {
            pair.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText()));
        }
        return out;
    }

    private static StreamDescriptionSummary summary(KinesisClient kinesis, String name) {
        return kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary();
    }

    private static HttpResponse<String> get(URI endpoint, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
