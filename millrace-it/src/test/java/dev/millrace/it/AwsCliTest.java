package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AWS CLI v2 ({@code /usr/bin/aws} from Debian's awscli package), which speaks JSON over HTTP/1.1: create, put,
 * get, describe, list and delete, as a user's shell script would.
 */
class AwsCliTest {
    @TempDir
    static Path work;
    private static MillraceProcess server;
    private static String aws;

    @BeforeAll
    static void start() {
        // Debian's package, not whatever else is called aws on the PATH (a pyenv shim, a v1 pip install).
        aws = "/usr/bin/aws";
        if (!java.nio.file.Files.isExecutable(Path.of(aws))) {
            throw new IllegalStateException(
                    "/usr/bin/aws is missing: apt-get install -y awscli (./verify does, as root)");
        }
        server = MillraceProcess.start(work.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    private ExternalCommand.Result cli(String... args) throws Exception {
        return service("kinesis", args);
    }

    private ExternalCommand.Result service(String service, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(aws, "--endpoint-url", server.endpoint().toString(),
                "--output", "json", service));
        command.addAll(List.of(args));
        return ExternalCommand.run(command, work, Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY", "secret", "AWS_DEFAULT_REGION", "us-east-1", "AWS_PAGER", "",
                "AWS_CONFIG_FILE", "/dev/null", "AWS_SHARED_CREDENTIALS_FILE", "/dev/null"), 120);
    }

    private String ok(String... args) throws Exception {
        ExternalCommand.Result r = cli(args);
        assertThat(r.exitCode()).as("aws %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void createPutGetDescribeListDelete() throws Exception {
        ok("create-stream", "--stream-name", "cli", "--shard-count", "2");
        assertThat(ok("describe-stream-summary", "--stream-name", "cli")).contains("\"StreamStatus\": \"ACTIVE\"")
                .contains("\"OpenShardCount\": 2");
        String put = ok("put-record", "--stream-name", "cli", "--partition-key", "pk", "--data", "aGVsbG8gY2xp");
        assertThat(put).containsPattern("\"SequenceNumber\": \"\\d{56}\"");
        String shardId = put.replaceAll("(?s).*\"ShardId\": \"(shardId-\\d+)\".*", "$1");
        String iterator = ok("get-shard-iterator", "--stream-name", "cli", "--shard-id", shardId,
                "--shard-iterator-type", "TRIM_HORIZON", "--query", "ShardIterator", "--output", "text").trim();
        String records = ok("get-records", "--shard-iterator", iterator);
        assertThat(records).contains("\"Data\": \"aGVsbG8gY2xp\"").contains("\"PartitionKey\": \"pk\"");
        assertThat(ok("describe-stream", "--stream-name", "cli")).contains("\"ShardId\": \"shardId-000000000001\"");
        assertThat(ok("list-streams")).contains("\"cli\"");
        assertThat(ok("list-shards", "--stream-name", "cli")).contains("shardId-000000000000");
        ok("delete-stream", "--stream-name", "cli");
        ExternalCommand.Result gone = cli("describe-stream", "--stream-name", "cli");
        assertThat(gone.exitCode()).isNotZero();
        assertThat(gone.stderr()).contains("ResourceNotFoundException")
                .contains("Stream cli under account 000000000000 not found.");
    }

    /** The CLI calls CloudWatch in the query protocol (form-encoded, XML answers). */
    @Test
    void cloudWatchPutMetricDataThenListMetrics() throws Exception {
        ExternalCommand.Result put = service("cloudwatch", "put-metric-data", "--namespace", "CliApp",
                "--metric-name", "Lag", "--value", "42", "--unit", "Milliseconds", "--dimensions",
                "Stream=orders,Shard=shardId-000000000000");
        assertThat(put.exitCode()).as(put.stderr()).isZero();
        ExternalCommand.Result list = service("cloudwatch", "list-metrics", "--namespace", "CliApp");
        assertThat(list.exitCode()).as(list.stderr()).isZero();
        assertThat(list.stdout()).contains("\"MetricName\": \"Lag\"").contains("\"Value\": \"orders\"")
                .contains("\"Value\": \"shardId-000000000000\"");
        ExternalCommand.Result bad = service("cloudwatch", "put-metric-data", "--namespace", "AWS/Kinesis",
                "--metric-name", "Lag", "--value", "1");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.stderr()).contains("InvalidParameterValue")
                .contains("The value AWS/Kinesis for parameter Namespace is invalid.");
    }

    @Test
    void validationErrorsReachTheUserVerbatim() throws Exception {
        ExternalCommand.Result bad = cli("create-stream", "--stream-name", "a b", "--shard-count", "1");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.stderr()).contains("ValidationException").contains("1 validation error detected: "
                + "Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression "
                + "pattern: [a-zA-Z0-9_.-]+");
    }
}
