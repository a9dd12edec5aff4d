package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code millrace bench} end to end: {@code java -jar millrace-loadgen.jar bench ... --json} (system property
 * {@code millrace.loadgen.jar}) against a Millrace child process, for a few seconds or a fixed number of records, with
 * polling and with fan-out readers. The report must account for every record (put = read, nothing missing, no
 * errors), give ordered latencies and, with {@code --server-pid}, the server's CPU time and peak RSS. Timings are
 * never compared with targets: the machine is shared.
 *
 * <p>One server for the class: every run deletes the streams it created (each test checks that the server holds none
 * afterwards), so a run finds the server as the previous one found it, and five server starts would prove nothing
 * more than one. The runs that must be throttled go to a second one, started with Kinesis's per-shard limits on when
 * the first of them needs it.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class BenchCommandTest {
    private static final long BENCH_TIMEOUT_S = 180;

    @TempDir
    static Path dir;
    private static MillraceProcess server;
    /** A server enforcing Kinesis's write limits (1,000 records/s per shard); started by the first test that uses it. */
    private static MillraceProcess limitedServer;

    @BeforeAll
    static void startServer() {
        server = MillraceProcess.start(dir.resolve("data"));
        server.awaitReady();
    }

    @AfterAll
    static void stopServer() {
        if (limitedServer != null) {
            assertThat(limitedServer.stop()).as("limited server exit status").isZero();
        }
        if (server != null) {
            assertThat(server.stop()).as("server exit status").isZero();
        }
    }

    private static MillraceProcess limitedServer() {
        if (limitedServer == null) {
            limitedServer = MillraceProcess.start(dir.resolve("limited-data"), "--throughput-limits", "on");
            limitedServer.awaitReady();
        }
        return limitedServer;
    }

    @Test
    void pollingReadersReadEveryRecordPutDuringATimedRun() {
        JsonNode report = bench("--duration-s", "3", "--warmup-s", "1", "--batch-size", "100", "--concurrency", "8",
                "--readers", "polling", "--poll-idle-ms", "20", "--server-pid", Long.toString(server.pid()));

        JsonNode put = report.field("put").orElseThrow();
        long acknowledged = number(put, "recordsAcknowledged");
        assertThat(acknowledged).isPositive().isEqualTo(number(put, "recordsAttempted"));
        assertThat(number(put, "recordsFailed")).isZero();
        assertOrderedLatencies(put.field("requestLatencyMs").orElseThrow(), number(put, "requests"));

        JsonNode polling = report.field("reads").flatMap(r -> r.field("polling")).orElseThrow();
        assertThat(number(polling, "records")).isEqualTo(acknowledged);
        assertThat(number(polling, "missingRecords")).isZero();
        assertThat(decimal(polling, "recordsPerS")).isPositive();
        assertOrderedLatencies(polling.field("putToReadMs").orElseThrow(), acknowledged);
        assertNoErrors(report);

        JsonNode serverStats = report.field("server").orElseThrow();
        assertThat(number(serverStats, "pid")).isEqualTo(server.pid());
        assertThat(decimal(serverStats, "cpuS")).isPositive();
        assertThat(decimal(serverStats, "cpuSPer1000Records")).isPositive();
        assertThat(number(serverStats, "peakRssKib")).isPositive();
        assertThat(decimal(report.field("generator").orElseThrow(), "cpuS")).isPositive();
        assertStreamsDeleted();
    }

    @Test
    void fanOutReadersReadEveryRecordOfAnOpenLoopPutRecordRun() {
        JsonNode report = bench("--records", "3000", "--warmup-s", "1", "--batch-size", "1", "--rate", "1000",
                "--concurrency", "32", "--readers", "fanout", "--server-pid", Long.toString(server.pid()));

        JsonNode put = report.field("put").orElseThrow();
        assertThat(report.field("settings").flatMap(s -> s.field("operation")).orElseThrow().asString())
                .isEqualTo("PutRecord");
        assertThat(number(put, "requests")).isEqualTo(3000);
        assertThat(number(put, "recordsAcknowledged")).isEqualTo(3000);
        assertOrderedLatencies(put.field("requestLatencyMs").orElseThrow(), 3000);
        assertThat(put.field("sendLagMs")).as("open loop reports its own lateness").isPresent();

        JsonNode fanOut = report.field("reads").flatMap(r -> r.field("fanOut")).orElseThrow();
        assertThat(number(fanOut, "records")).isEqualTo(3000);
        assertThat(number(fanOut, "missingRecords")).isZero();
        assertOrderedLatencies(fanOut.field("putToReadMs").orElseThrow(), 3000);
        assertThat(report.field("reads").flatMap(r -> r.field("polling"))).isEmpty();
        assertNoErrors(report);
        assertThat(decimal(report.field("server").orElseThrow(), "cpuS")).isPositive();
        assertStreamsDeleted();
    }

    @Test
    void theLeanPutRecordClientIsAcknowledgedForEveryRecordAndReadsFindThemAll() {
        JsonNode report = bench("--records", "2000", "--warmup-s", "1", "--batch-size", "1", "--rate", "1000",
                "--concurrency", "16", "--put-client", "lean", "--readers", "polling", "--poll-idle-ms", "20");

        JsonNode put = report.field("put").orElseThrow();
        assertThat(report.field("settings").flatMap(s -> s.field("putClient")).map(JsonNode::text)).hasValue("lean");
        assertThat(number(put, "requests")).isEqualTo(2000);
        assertThat(number(put, "recordsAcknowledged")).isEqualTo(2000);
        assertOrderedLatencies(put.field("requestLatencyMs").orElseThrow(), 2000);
        JsonNode polling = report.field("reads").flatMap(r -> r.field("polling")).orElseThrow();
        assertThat(number(polling, "records")).isEqualTo(2000);
        assertThat(number(polling, "missingRecords")).isZero();
        assertNoErrors(report);
        assertStreamsDeleted();
    }

    @ParameterizedTest(name = "--protocol {0} --payload {1}")
    @CsvSource({"cbor, binary, 100", "json, json, 200"})
    void theLeanPutRecordsClientIsAcknowledgedForEveryRecordAndReadsFindThemAll(String protocol, String payload,
                                                                                 int recordBytes) {
        JsonNode report = bench("--records", "20000", "--warmup-s", "1", "--batch-size", "500", "--concurrency", "8",
                "--shards", "2", "--put-client", "lean", "--protocol", protocol, "--payload", payload,
                "--record-bytes", Integer.toString(recordBytes), "--readers", "polling", "--poll-idle-ms", "20");

        JsonNode settings = report.field("settings").orElseThrow();
        assertThat(settings.field("putClient").map(JsonNode::text)).hasValue("lean");
        assertThat(settings.field("operation").map(JsonNode::text)).hasValue("PutRecords");
        JsonNode put = report.field("put").orElseThrow();
        assertThat(number(put, "requests")).isEqualTo(40);
        assertThat(number(put, "recordsAcknowledged")).isEqualTo(20000);
        assertThat(number(put, "recordsFailed")).isZero();
        assertOrderedLatencies(put.field("requestLatencyMs").orElseThrow(), 40);
        JsonNode polling = report.field("reads").flatMap(r -> r.field("polling")).orElseThrow();
        assertThat(number(polling, "records")).isEqualTo(20000);
        assertThat(number(polling, "bytes")).isEqualTo(20000L * recordBytes);
        assertThat(number(polling, "missingRecords")).isZero();
        assertNoErrors(report);
        assertStreamsDeleted();
    }

    /**
     * One shard of a server enforcing the limits takes 1,000 records/s: most of 5,000 records sent at once come back
     * as ProvisionedThroughputExceededException entries, each counted as a throttle, and the rest are read back.
     */
    @ParameterizedTest(name = "--protocol {0}")
    @ValueSource(strings = {"cbor", "json"})
    void theLeanPutRecordsClientCountsEveryThrottledEntryAndReadsFindTheRest(String protocol) {
        JsonNode report = bench(limitedServer(), "--records", "5000", "--warmup-s", "0", "--batch-size", "500",
                "--concurrency", "4", "--shards", "1", "--put-client", "lean", "--protocol", protocol,
                "--readers", "polling");

        JsonNode put = report.field("put").orElseThrow();
        long acknowledged = number(put, "recordsAcknowledged");
        long failed = number(put, "recordsFailed");
        assertThat(number(put, "recordsAttempted")).isEqualTo(5000);
        assertThat(acknowledged + failed).isEqualTo(5000);
        assertThat(failed).as("throttled entries").isPositive();
        assertThat(acknowledged).as("the shard's first 1,000 records/s").isPositive();
        assertThat(number(report.field("throttles").orElseThrow(),
                "PutRecords:ProvisionedThroughputExceededException")).isEqualTo(failed);
        assertThat(report.field("errors").orElseThrow().asObject()).as("errors").isEmpty();
        JsonNode polling = report.field("reads").flatMap(r -> r.field("polling")).orElseThrow();
        assertThat(number(polling, "records")).isEqualTo(acknowledged);
        assertThat(number(polling, "missingRecords")).isZero();
    }

    @Test
    void backlogReadOverJsonAndHttp2ReadsEveryRecordPut() {
        JsonNode report = bench("--records", "20000", "--warmup-s", "0", "--batch-size", "500", "--record-bytes",
                "1024", "--readers", "both", "--read-backlog", "--protocol", "json", "--http", "2", "--shards", "2",
                "--read-client", "sdk");

        long acknowledged = number(report.field("put").orElseThrow(), "recordsAcknowledged");
        assertThat(acknowledged).isEqualTo(20000);
        for (String kind : List.of("polling", "fanOut")) {
            JsonNode read = report.field("reads").flatMap(r -> r.field(kind)).orElseThrow();
            assertThat(number(read, "records")).as(kind).isEqualTo(20000);
            assertThat(read.field("putToReadMs").orElseThrow().isNull()).as("no latency for a backlog").isTrue();
        }
        assertThat(report.field("reads").flatMap(r -> r.field("polling")).flatMap(p -> p.field("getRecordsClient"))
                .map(JsonNode::text)).hasValue("sdk");
        assertThat(report.field("server").orElseThrow().isNull()).as("no server stats without --server-pid").isTrue();
        assertNoErrors(report);
        assertStreamsDeleted();
    }

    @Test
    void theLeanGetRecordsClientReadsAJsonBacklogOfEveryRecordPut() {
        JsonNode report = bench("--records", "20000", "--warmup-s", "0", "--batch-size", "500", "--record-bytes",
                "1024", "--readers", "polling", "--read-backlog", "--protocol", "json", "--shards", "3",
                "--get-records-limit", "3000");

        JsonNode polling = report.field("reads").flatMap(r -> r.field("polling")).orElseThrow();
        assertThat(polling.field("getRecordsClient").map(JsonNode::text)).hasValue("lean");
        assertThat(number(polling, "records")).isEqualTo(20000);
        assertThat(number(polling, "bytes")).isEqualTo(20000L * 1024);
        // 20,000 records at most 3,000 a call: 7 calls at the very least, however the keys split over the shards
        // (a run whose random keys gave one shard under 6,000 records needed 8, not the 9 an even split needs).
        assertThat(number(polling, "calls")).as("limit 3,000: several calls per shard").isGreaterThanOrEqualTo(7);
        assertNoErrors(report);
        assertStreamsDeleted();
    }

    /** Runs the load generator against the server and returns its parsed {@code --json} report. */
    private static JsonNode bench(String... args) {
        return bench(server, args);
    }

    private static JsonNode bench(MillraceProcess target, String... args) {
        List<String> command = new ArrayList<>(MillraceProcess.java("512m"));
        command.addAll(List.of("-jar", loadgenJar().toString(), "bench", "--endpoint", target.endpoint().toString(),
                "--json"));
        command.addAll(List.of(args));
        try {
            Path out = dir.resolve("bench.json");
            Path err = dir.resolve("bench.log");
            Process bench = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .start();
            if (!bench.waitFor(BENCH_TIMEOUT_S, TimeUnit.SECONDS)) {
                bench.destroyForcibly();
                throw new AssertionError("bench did not finish in " + BENCH_TIMEOUT_S + " s; stderr:\n"
                        + Files.readString(err));
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            System.out.println("$ " + String.join(" ", command) + "\n" + stderr + stdout);
            assertThat(bench.exitValue()).as("bench exit status; stderr:\n%s", stderr).isZero();
            return JsonNode.parser().parse(stdout);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path loadgenJar() {
        Path jar = Path.of(System.getProperty("millrace.loadgen.jar", "../millrace-loadgen/target/millrace-loadgen.jar"))
                .toAbsolutePath().normalize();
        assertThat(jar).as("build millrace-loadgen first (mvn -pl millrace-it -am verify does)").isRegularFile();
        return jar;
    }

    private static void assertOrderedLatencies(JsonNode latency, long expectedCount) {
        assertThat(number(latency, "count")).isEqualTo(expectedCount);
        double p50 = decimal(latency, "p50");
        double p99 = decimal(latency, "p99");
        double p999 = decimal(latency, "p999");
        double max = decimal(latency, "max");
        assertThat(p50).isPositive();
        assertThat(p50).isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(p999);
        assertThat(p999).isLessThanOrEqualTo(max);
    }

    private static void assertNoErrors(JsonNode report) {
        assertThat(report.field("errors").orElseThrow().asObject()).as("errors").isEmpty();
        assertThat(report.field("throttles").orElseThrow().asObject()).as("throttles").isEmpty();
    }

    /** The run created its stream(s) and must have deleted them. */
    private static void assertStreamsDeleted() {
        try (KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            assertThat(kinesis.listStreams().streamNames()).isEmpty();
        }
    }

    private static long number(JsonNode node, String field) {
        return Long.parseLong(node.field(field).orElseThrow(() -> new AssertionError("no field " + field))
                .asNumber());
    }

    private static double decimal(JsonNode node, String field) {
        return Double.parseDouble(node.field(field).orElseThrow(() -> new AssertionError("no field " + field))
                .asNumber());
    }
}
