package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code millrace put}, {@code streams} and {@code describe}, run as {@code java -jar millrace.jar ...} against a
 * Millrace child process: lines of stdin become records (in batches, each once, a fixed key's in order), which
 * {@code tail --from trim-horizon} prints back; a stream that does not exist and a line over the record size give
 * their exit codes.
 */
class PutCommandTest {
    private static final int LINES = 1_200;

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

    @Test
    void putLinesThenTailFromTrimHorizonPrintsThemAll() {
        Streams.createActive(kinesis, "lines", 3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < LINES; i++) {
            lines.add("line " + i + " \u00e9t\u00e9");
        }
        byte[] stdin = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);

        MillraceCli.Result put = MillraceCli.run(dir, server.endpoint(), stdin, 60, "put", "lines");
        assertThat(put.exitCode()).as("stderr: %s", put.stderr()).isZero();

        List<String> stored = new ArrayList<>();
        for (String shard : List.of("shardId-000000000000", "shardId-000000000001", "shardId-000000000002")) {
            Streams.readShard(kinesis, "lines", shard, 10_000).forEach(r -> stored.add(r.data().asUtf8String()));
        }
        assertThat(stored).as("each line once, over the shards (a random key per line)")
                .containsExactlyInAnyOrderElementsOf(lines);
        assertThat(Streams.readShard(kinesis, "lines", "shardId-000000000000", 10_000)).isNotEmpty();

        MillraceCli.Result tail = MillraceCli.run(dir, server.endpoint(), "tail", "lines", "--from",
                "trim-horizon");
        assertThat(tail.exitCode()).as("stderr: %s", tail.stderr()).isZero();
        assertThat(Arrays.asList(tail.stdout().split("\n"))).containsExactlyInAnyOrderElementsOf(lines);
    }

    @Test
    void aFixedPartitionKeyKeepsTheLinesInOrderInOneShard() {
        Streams.createActive(kinesis, "ordered", 2);
        StringBuilder stdin = new StringBuilder();
        for (int i = 0; i < 700; i++) {
            stdin.append(i).append('\n');
        }
        MillraceCli.Result put = MillraceCli.run(dir, server.endpoint(),
                stdin.toString().getBytes(StandardCharsets.UTF_8), 60, "put", "ordered", "--partition-key", "one");
        assertThat(put.exitCode()).as("stderr: %s", put.stderr()).isZero();

        String shard = Streams.owner(Streams.shards(kinesis, "ordered"), Streams.md5("one"));
        List<Record> records = Streams.readShard(kinesis, "ordered", shard, 10_000);
        assertThat(records).extracting(r -> Integer.parseInt(r.data().asUtf8String()))
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 700).boxed().toList());
        assertThat(records).extracting(Record::partitionKey).containsOnly("one");
    }

    @Test
    void exitCodesForAMissingStreamAndALineOverTheRecordSize() {
        MillraceCli.Result missing = MillraceCli.run(dir, server.endpoint(), "hello\n".getBytes(
                StandardCharsets.UTF_8), 60, "put", "no-such-stream");
        assertThat(missing.exitCode()).isEqualTo(3);
        assertThat(missing.stderr()).contains("ResourceNotFoundException").doesNotContain("\tat ");

        Streams.createActive(kinesis, "sizes", 1);
        byte[] stdin = ("small\n" + "x".repeat(1024 * 1024) + "\nlast\n").getBytes(StandardCharsets.UTF_8);
        MillraceCli.Result tooLong = MillraceCli.run(dir, server.endpoint(), stdin, 60, "put", "sizes", "-k", "k");
        assertThat(tooLong.exitCode()).as("stderr: %s", tooLong.stderr()).isEqualTo(5);
        assertThat(tooLong.stderr()).contains("line 2 is 1048577 bytes");
        assertThat(Streams.readShard(kinesis, "sizes", "shardId-000000000000", 100))
                .extracting(r -> r.data().asUtf8String()).containsExactly("small", "last");
    }

    @Test
    void streamsAndDescribeShowWhatTheServerHas() {
        Streams.createActive(kinesis, "shown", 2);
        MillraceCli.Result streams = MillraceCli.run(dir, server.endpoint(), "streams");
        assertThat(streams.exitCode()).as("stderr: %s", streams.stderr()).isZero();
        assertThat(streams.stdout()).containsPattern("(?m)^shown\tACTIVE\tPROVISIONED\t\\d{4}-");

        MillraceCli.Result describe = MillraceCli.run(dir, server.endpoint(), "describe", "shown", "--format",
                "json");
        assertThat(describe.exitCode()).as("stderr: %s", describe.stderr()).isZero();
        assertThat(describe.stdout()).contains("\"streamName\":\"shown\"", "\"openShardCount\":2",
                "\"shardId\":\"shardId-000000000001\"");
        MillraceCli.Result text = MillraceCli.run(dir, server.endpoint(), "describe", "shown");
        assertThat(text.stdout()).contains("status      ACTIVE", "2 open, 2 listed");
    }
}
