package dev.millrace.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.kinesis.producer.protobuf.Messages;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.awaitility.Awaitility.await;

/**
 * {@code millrace tail}, run as {@code java -jar millrace.jar tail ...} against a Millrace child process: across a
 * split and then a merge every record once, parents before children; KPL aggregated records as their user records
 * (built with the KPL's own protobuf classes, magic and MD5 as the KPL writes them, and checked against KCL's
 * de-aggregation; the KPL's native daemon is KplTest's business); and {@code --follow} through enhanced fan-out
 * with a consumer it registers, ended by SIGTERM with exit code 143, no stack trace, and the consumer gone; ended by
 * SIGINT (Ctrl-C) with 130, where SIGINT is not ignored.
 *
 * <p>The follow runs are stopped with SIGTERM: a CI that starts the suite in the background has SIGINT ignored in
 * every child (POSIX), and a child stopped by SIGINT would then never end.
 */
class TailCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] KPL_MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};

    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private static KinesisClient kinesis;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"));
        kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder());
    }

    @AfterAll
    static void stop() {
        kinesis.close();
        assertThat(server.stop()).isZero();
    }

    private static void put(String stream, String key, String data) {
        kinesis.putRecord(b -> b.streamName(stream).partitionKey(key).data(SdkBytes.fromUtf8String(data)));
    }

    private static List<JsonNode> jsonLines(String stdout) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (!line.isEmpty()) {
                try {
                    lines.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new UncheckedIOException("not JSON: " + line, e);
                }
            }
        }
        return lines;
    }

    @Test
    void acrossASplitAndAMergeEveryRecordOnceParentsBeforeChildren() {
        Streams.createActive(kinesis, "lineage", 1);
        for (int i = 0; i < 30; i++) {
            put("lineage", "k" + (i % 10), "before-" + i);
        }
        kinesis.splitShard(b -> b.streamName("lineage").shardToSplit("shardId-000000000000")
                .newStartingHashKey(BigInteger.ONE.shiftLeft(127).toString()));
        Streams.awaitActive(kinesis, "lineage");
        for (int i = 0; i < 30; i++) {
            put("lineage", "k" + (i % 10), "split-" + i);
        }
        kinesis.mergeShards(b -> b.streamName("lineage").shardToMerge("shardId-000000000001")
                .adjacentShardToMerge("shardId-000000000002"));
        Streams.awaitActive(kinesis, "lineage");
        for (int i = 0; i < 30; i++) {
            put("lineage", "k" + (i % 10), "merged-" + i);
        }

        MillraceCli.Result r = MillraceCli.run(dir, server.endpoint(), "tail", "lineage", "--format", "json");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        List<JsonNode> lines = jsonLines(r.stdout());
        List<String> data = lines.stream().map(n -> n.get("data").asText()).toList();
        assertThat(data).hasSize(90).doesNotHaveDuplicates();
        int lastBefore = lastIndexStartingWith(data, "before-");
        int firstSplit = firstIndexStartingWith(data, "split-");
        int lastSplit = lastIndexStartingWith(data, "split-");
        int firstMerged = firstIndexStartingWith(data, "merged-");
        assertThat(lastBefore).as("the parent before its split children").isLessThan(firstSplit);
        assertThat(lastSplit).as("both merge parents before the merged child").isLessThan(firstMerged);
        for (int key = 0; key < 10; key++) {
            String k = "k" + key;
            List<String> ofKey = lines.stream().filter(n -> n.get("partitionKey").asText().equals(k))
                    .map(n -> n.get("data").asText()).toList();
            List<String> expected = new ArrayList<>();
            for (String phase : List.of("before-", "split-", "merged-")) {
                for (int i = key; i < 30; i += 10) {
                    expected.add(phase + i);
                }
            }
            assertThat(ofKey).as("key %s in the order it was written", k).isEqualTo(expected);
        }
        assertThat(lines).allSatisfy(n -> {
            assertThat(n.get("dataEncoding").asText()).isEqualTo("utf-8");
            assertThat(n.get("approximateArrivalTimestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(n.has("subSequenceNumber")).isFalse();
        });
        assertThat(lines.stream().filter(n -> n.get("data").asText().startsWith("merged-"))
                .map(n -> n.get("shardId").asText()).distinct()).containsExactly("shardId-000000000003");
    }

    @Test
    void kplAggregatedRecordsArePrintedAsTheirUserRecordsAndABadMd5OneAsItIs() throws Exception {
        Streams.createActive(kinesis, "kpl", 1);
        byte[] aggregated = kplRecord(List.of("user-a", "user-b", "user-c"), List.of("ka", "kb", "ka"));
        byte[] broken = kplRecord(List.of("hidden"), List.of("kx"));
        broken[broken.length - 1] ^= 1;
        kinesis.putRecord(b -> b.streamName("kpl").partitionKey("ka").data(SdkBytes.fromByteArray(aggregated)));
        kinesis.putRecord(b -> b.streamName("kpl").partitionKey("kx").data(SdkBytes.fromByteArray(broken)));
        put("kpl", "plain", "plain record");

        // The record built here is one KCL de-aggregates to the same user records.
        List<Record> stored = Streams.readShard(kinesis, "kpl", "shardId-000000000000", 100);
        List<KinesisClientRecord> kcl = new AggregatorUtil().deaggregate(
                List.of(KinesisClientRecord.fromRecord(stored.get(0))));
        assertThat(kcl).extracting(KinesisClientRecord::partitionKey).containsExactly("ka", "kb", "ka");

        MillraceCli.Result r = MillraceCli.run(dir, server.endpoint(), "tail", "kpl", "--format", "json");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        List<JsonNode> lines = jsonLines(r.stdout());
        assertThat(lines).hasSize(5);
        assertThat(lines.subList(0, 3)).extracting(n -> n.get("data").asText())
                .containsExactly("user-a", "user-b", "user-c");
        assertThat(lines.subList(0, 3)).extracting(n -> n.get("subSequenceNumber").asLong()).containsExactly(0L, 1L,
                2L);
        assertThat(lines.subList(0, 3)).extracting(n -> n.get("partitionKey").asText())
                .containsExactly("ka", "kb", "ka");
        assertThat(lines.subList(0, 3)).extracting(n -> n.get("sequenceNumber").asText()).containsOnly(
                stored.get(0).sequenceNumber());
        JsonNode bad = lines.get(3);
        assertThat(bad.has("subSequenceNumber")).isFalse();
        assertThat(bad.get("dataEncoding").asText()).isEqualTo("base64");
        assertThat(Base64.getDecoder().decode(bad.get("data").asText())).isEqualTo(broken);
        assertThat(lines.get(4).get("data").asText()).isEqualTo("plain record");

        MillraceCli.Result raw = MillraceCli.run(dir, server.endpoint(), "tail", "kpl", "--no-kpl");
        assertThat(raw.stdout().split("\n")).hasSize(3);
    }

    @Test
    void followThroughFanOutPrintsNewRecordsUntilSigtermThenExits143AndDeregistersItsConsumer() throws Exception {
        Streams.createActive(kinesis, "follow", 2);
        put("follow", "old", "old record");
        try (MillraceCli tail = MillraceCli.start(dir, server.endpoint(), new byte[0], "tail", "follow", "--follow",
                "--consumer", "millrace-tail")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> kinesis.listStreamConsumers(b -> b.streamARN(
                    arn("follow"))).consumers().size() == 1);
            // LATEST is taken when each subscription starts: write until the tail shows what it is given.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                put("follow", "probe", "probe");
                return tail.stdout().contains("probe\n");
            });
            for (int i = 0; i < 20; i++) {
                put("follow", "k" + i, "new-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> tail.stdout().contains("new-19\n"));
            tail.terminate();
            MillraceCli.Result r = tail.awaitExit(30);

            assertThat(r.exitCode()).isEqualTo(143);
            assertThat(r.stderr()).contains("registered consumer millrace-tail", "deregistered consumer")
                    .doesNotContain("\tat ");
            List<String> lines = Arrays.asList(r.stdout().split("\n"));
            assertThat(lines).doesNotContain("old record");
            for (int i = 0; i < 20; i++) {
                assertThat(lines).containsOnlyOnce("new-" + i);
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> kinesis.listStreamConsumers(b -> b.streamARN(
                arn("follow"))).consumers().isEmpty());
    }

    @Test
    void followByPollingGoesIntoTheChildrenOfASplitMadeWhileItRuns() throws Exception {
        Streams.createActive(kinesis, "live", 1);
        put("live", "k", "first");
        try (MillraceCli tail = MillraceCli.start(dir, server.endpoint(), new byte[0], "tail", "live", "--follow",
                "--from", "trim-horizon", "--poll-interval-ms", "100")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> tail.stdout().contains("first\n"));
            kinesis.splitShard(b -> b.streamName("live").shardToSplit("shardId-000000000000")
                    .newStartingHashKey(BigInteger.ONE.shiftLeft(127).toString()));
            Streams.awaitActive(kinesis, "live");
            for (int i = 0; i < 10; i++) {
                put("live", "k" + i, "child-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                String out = tail.stdout();
                return java.util.stream.IntStream.range(0, 10).allMatch(i -> out.contains("child-" + i + "\n"));
            });
            tail.terminate();
            MillraceCli.Result r = tail.awaitExit(30);
            assertThat(r.exitCode()).isEqualTo(143);
            assertThat(r.stderr()).doesNotContain("\tat ");
            List<String> lines = Arrays.asList(r.stdout().split("\n"));
            assertThat(lines.get(0)).isEqualTo("first");
            assertThat(lines).hasSize(11).doesNotHaveDuplicates();
        }
    }

    @Test
    void followEndedByCtrlCFlushesWhatItReadAndExits130() throws Exception {
        Streams.createActive(kinesis, "ctrl-c", 1);
        put("ctrl-c", "k", "seen");
        try (MillraceCli tail = MillraceCli.start(dir, server.endpoint(), new byte[0], "tail", "ctrl-c", "--follow",
                "--from", "trim-horizon", "--poll-interval-ms", "100")) {
            assumeFalse(tail.ignoresSigint(), "this test JVM's children start with SIGINT ignored (the suite runs as"
                    + " a background job of a non-interactive shell), so Ctrl-C cannot be tried here");
            await().atMost(Duration.ofSeconds(30)).until(() -> tail.stdout().contains("seen\n"));
            tail.interrupt();
            MillraceCli.Result r = tail.awaitExit(30);
            assertThat(r.exitCode()).isEqualTo(130);
            assertThat(r.stderr()).doesNotContain("\tat ");
            assertThat(r.stdout()).isEqualTo("seen\n");
        }
    }

    @Test
    void aMissingStreamExitsWith3WithoutAStackTrace() {
        MillraceCli.Result r = MillraceCli.run(dir, server.endpoint(), "tail", "no-such-stream");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stderr()).contains("ResourceNotFoundException").doesNotContain("\tat ");
        assertThat(r.stdout()).isEmpty();
    }

    private static String arn(String stream) {
        return kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamARN();
    }

    /** A KPL aggregated record, built with the KPL's own generated protobuf classes, magic first and MD5 last. */
    private static byte[] kplRecord(List<String> data, List<String> keys) throws Exception {
        List<String> table = keys.stream().distinct().toList();
        Messages.AggregatedRecord.Builder b = Messages.AggregatedRecord.newBuilder().addAllPartitionKeyTable(table);
        for (int i = 0; i < data.size(); i++) {
            b.addRecords(Messages.Record.newBuilder().setPartitionKeyIndex(table.indexOf(keys.get(i)))
                    .setData(ByteString.copyFromUtf8(data.get(i))));
        }
        byte[] protobuf = b.build().toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(KPL_MAGIC);
        out.write(protobuf);
        out.write(MessageDigest.getInstance("MD5").digest(protobuf));
        return out.toByteArray();
    }

    private static int firstIndexStartingWith(List<String> data, String prefix) {
        for (int i = 0; i < data.size(); i++) {
            if (data.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no " + prefix + " record");
    }

    private static int lastIndexStartingWith(List<String> data, String prefix) {
        for (int i = data.size() - 1; i >= 0; i--) {
            if (data.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no " + prefix + " record");
    }
}
