package dev.millrace.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.kinesis.model.AccessDeniedException;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ListStreamsRequest;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.StreamSummary;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The client commands through picocli, on {@link FakeKinesis}: argument parsing, endpoint and region resolution,
 * and the exit code of each kind of failure.
 */
class CommandsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>(Map.of("AWS_REGION", "eu-west-1"));
    private final CompletableFuture<String> stop = new CompletableFuture<>();
    private KinesisOptions.Resolved resolved;
    private FakeKinesis kinesis = new FakeKinesis();
    private String stdin = "";

    private int run(ClientCommand command, String... args) {
        command.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        command.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        command.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        command.env = env;
        command.stop = stop;
        FakeKinesis fake = kinesis;
        command.connector = where -> {
            resolved = where;
            return new KinesisConnection(fake, null);
        };
        CommandLine cl = new CommandLine(command);
        cl.setErr(new java.io.PrintWriter(err, true));
        return cl.execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** A fake whose every call of the operations the commands start with fails with {@code failure}. */
    private void failWith(RuntimeException failure) {
        kinesis = new FakeKinesis() {
            @Override
            public DescribeStreamSummaryResponse describeStreamSummary(DescribeStreamSummaryRequest r) {
                throw failure;
            }

            @Override
            public ListStreamsResponse listStreams(ListStreamsRequest r) {
                throw failure;
            }

            @Override
            public synchronized software.amazon.awssdk.services.kinesis.model.ListShardsResponse listShards(
                    software.amazon.awssdk.services.kinesis.model.ListShardsRequest r) {
                throw failure;
            }
        };
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(run(new TailCommand())).as("no stream").isEqualTo(ExitCode.USAGE);
        assertThat(run(new TailCommand(), "s", "--format", "xml")).isEqualTo(ExitCode.USAGE);
        assertThat(stderr()).contains("expected text, json or hex");
        assertThat(run(new TailCommand(), "s", "--from", "yesterday")).isEqualTo(ExitCode.USAGE);
        assertThat(stderr()).contains("--from yesterday");
        assertThat(run(new PutCommand(), "s", "--bogus")).isEqualTo(ExitCode.USAGE);
        assertThat(run(new TailCommand(), "s", "--endpoint-url", "not a url")).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void noRegionAndNoEndpointIsAUsageErrorThatSaysWhatToGive() {
        assumeThat(System.getenv("AWS_CONFIG_FILE")).isNull();
        assumeThat(Files.exists(Path.of(System.getProperty("user.home"), ".aws", "config"))).isFalse();
        env.clear();
        assertThat(run(new StreamsCommand())).isEqualTo(ExitCode.USAGE);
        assertThat(stderr()).contains("--region", "--endpoint-url http://127.0.0.1:4567");
    }

    @Test
    void theEndpointComesFromTheOptionThenTheServiceVariableThenTheGeneralOne() {
        env.put("AWS_ENDPOINT_URL", "http://general:1");
        run(new StreamsCommand());
        assertThat(resolved.endpoint()).isEqualTo(URI.create("http://general:1"));
        env.put("AWS_ENDPOINT_URL_KINESIS", "http://kinesis:2");
        run(new StreamsCommand());
        assertThat(resolved.endpoint()).isEqualTo(URI.create("http://kinesis:2"));
        run(new StreamsCommand(), "--endpoint-url", "http://127.0.0.1:4567");
        assertThat(resolved.endpoint()).isEqualTo(URI.create("http://127.0.0.1:4567"));
        assertThat(resolved.region().id()).isEqualTo("eu-west-1");
        env.put("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        run(new StreamsCommand());
        assertThat(resolved.endpoint()).as("the SDK's switch to ignore them").isNull();
    }

    @Test
    void withAnEndpointAndNoRegionAnywhereTheRegionIsUsEast1() {
        assumeThat(System.getenv("AWS_CONFIG_FILE")).isNull();
        assumeThat(Files.exists(Path.of(System.getProperty("user.home"), ".aws", "config"))).isFalse();
        env.clear();
        run(new StreamsCommand(), "--endpoint-url", "http://127.0.0.1:4567");
        assertThat(resolved.region().id()).isEqualTo("us-east-1");
        run(new StreamsCommand(), "--endpoint-url", "http://127.0.0.1:4567", "--region", "ap-south-1");
        assertThat(resolved.region().id()).isEqualTo("ap-south-1");
    }

    @Test
    void aMissingStreamExitsWith3() {
        failWith(ResourceNotFoundException.builder().awsErrorDetails(AwsErrorDetails.builder()
                .errorCode("ResourceNotFoundException").errorMessage("Stream nope under account 0 not found.")
                .build()).statusCode(400).build());
        assertThat(run(new DescribeCommand(), "nope")).isEqualTo(ExitCode.NOT_FOUND);
        assertThat(stderr()).contains("millrace describe: ResourceNotFoundException: Stream nope")
                .doesNotContain("\tat ");
        assertThat(run(new TailCommand(), "nope")).isEqualTo(ExitCode.NOT_FOUND);
        assertThat(run(new PutCommand(), "nope")).isEqualTo(ExitCode.NOT_FOUND);
    }

    @Test
    void accessErrorsExitWith4() {
        failWith(AccessDeniedException.builder().awsErrorDetails(AwsErrorDetails.builder()
                .errorCode("AccessDeniedException").errorMessage("not allowed").build()).statusCode(400).build());
        assertThat(run(new StreamsCommand())).isEqualTo(ExitCode.ACCESS_DENIED);
        assertThat(stderr()).contains("not allowed", "check the credentials");
        failWith(KinesisException.builder().awsErrorDetails(AwsErrorDetails.builder()
                .errorCode("UnrecognizedClientException").errorMessage("bad key").build()).statusCode(400).build());
        assertThat(run(new StreamsCommand())).isEqualTo(ExitCode.ACCESS_DENIED);
    }

    @Test
    void otherAwsErrorsExitWith1() {
        failWith(KinesisException.builder().awsErrorDetails(AwsErrorDetails.builder()
                .errorCode("InternalFailure").errorMessage("oops").build()).statusCode(500).build());
        assertThat(run(new StreamsCommand())).isEqualTo(ExitCode.FAILED);
        assertThat(stderr()).contains("InternalFailure: oops");
    }

    @Test
    void streamsPrintsOneTabSeparatedLinePerStream() {
        kinesis = new FakeKinesis() {
            @Override
            public ListStreamsResponse listStreams(ListStreamsRequest r) {
                if (r.nextToken() == null) {
                    return ListStreamsResponse.builder().hasMoreStreams(true).nextToken("t").streamNames("a")
                            .streamSummaries(StreamSummary.builder().streamName("a").streamStatus(StreamStatus.ACTIVE)
                                    .streamCreationTimestamp(Instant.parse("2026-12-06T14:00:00Z")).build())
                            .build();
                }
                return ListStreamsResponse.builder().hasMoreStreams(false).streamNames("b")
                        .streamSummaries(StreamSummary.builder().streamName("b").streamStatus(StreamStatus.CREATING)
                                .build()).build();
            }
        };
        assertThat(run(new StreamsCommand())).isZero();
        assertThat(stdout()).isEqualTo("a\tACTIVE\t-\t2026-12-06T14:00:00.000Z\nb\tCREATING\t-\t-\n");
    }

    @Test
    void tailFollowEndsWith130OnSigint() {
        kinesis.shard("s0");
        kinesis.write("s0", "x");
        stop.complete("INT");
        assertThat(run(new TailCommand(), "s", "--follow", "--from", "trim-horizon")).isEqualTo(130);
    }

    @Test
    void tailFollowEndsWith143OnSigterm() {
        kinesis.shard("s0");
        kinesis.write("s0", "x");
        stop.complete("TERM");
        assertThat(run(new TailCommand(), "s", "--follow", "--from", "trim-horizon")).isEqualTo(143);
    }

    @Test
    void putStoppedBySigtermExits143AndSaysSo() {
        kinesis = describedStream();
        stdin = "a\nb\n";
        stop.complete("TERM");
        assertThat(run(new PutCommand(), "s", "--no-progress")).isEqualTo(143);
        assertThat(stderr()).contains("terminated after");
    }

    @Test
    void everyCommandListsBothSignalExitCodesInItsHelp() {
        for (ClientCommand command : List.of(new TailCommand(), new PutCommand(), new StreamsCommand(),
                new DescribeCommand())) {
            assertThat(new CommandLine(command).getUsageMessage())
                    .containsPattern("130 +interrupted \\(Ctrl-C, SIGINT\\)")
                    .containsPattern("143 +terminated \\(SIGTERM\\)");
        }
    }

    @Test
    void tailPrintsJsonLines() {
        kinesis.shard("s0");
        kinesis.write("s0", "hello");
        assertThat(run(new TailCommand(), "s", "--format", "JSON")).isZero();
        assertThat(stdout()).startsWith("{\"shardId\":\"s0\"").contains("\"data\":\"hello\"").endsWith("}\n");
    }

    @Test
    void putSendsEveryLineInOrderWithTheKeyAndRetriesFailedEntries() {
        kinesis = describedStream();
        // Lines 2 and after fail the first time they are sent: retried, they must still come out in order.
        java.util.Set<String> tried = new java.util.HashSet<>();
        kinesis.putFailure = (call, entry) -> entryIndex(entry) >= 2 && tried.add(entry.data().asUtf8String())
                ? "InternalFailure" : null;
        stdin = "l0\nl1\nl2\r\nl3\nl4";
        assertThat(run(new PutCommand(), "s", "--partition-key", "k", "--no-progress")).isZero();
        assertThat(kinesis.accepted).extracting(e -> e.data().asUtf8String())
                .containsExactly("l0", "l1", "l2", "l3", "l4");
        assertThat(kinesis.accepted).extracting(PutRecordsRequestEntry::partitionKey).containsOnly("k");
        assertThat(tried).containsExactlyInAnyOrder("l2", "l3", "l4");
        assertThat(kinesis.putCalls).isGreaterThanOrEqualTo(2);
    }

    @Test
    void putGivesEachLineARandomKeyByDefault() {
        kinesis = describedStream();
        stdin = "a\nb\nc\n";
        assertThat(run(new PutCommand(), "s")).isZero();
        assertThat(kinesis.accepted).extracting(PutRecordsRequestEntry::partitionKey).doesNotHaveDuplicates()
                .hasSize(3);
    }

    @Test
    void putExitsWith5WhenARecordIsNeverAccepted() {
        kinesis = describedStream();
        kinesis.putFailure = (call, entry) -> entry.data().asUtf8String().equals("bad")
                ? "ProvisionedThroughputExceededException" : null;
        stdin = "ok\nbad\n";
        assertThat(run(new PutCommand(), "s", "--max-attempts", "2")).isEqualTo(ExitCode.RECORDS_NOT_PUT);
        assertThat(stderr()).contains("1 record(s) failed with ProvisionedThroughputExceededException",
                "1 record(s) not put, 1 put");
        assertThat(kinesis.accepted).extracting(e -> e.data().asUtf8String()).containsExactly("ok");
    }

    @Test
    void putRefusesALineOverTheRecordSizeAndPutsTheOthers() {
        kinesis = describedStream();
        stdin = "small\n" + "x".repeat(1024 * 1024 + 1) + "\nlast\n";
        assertThat(run(new PutCommand(), "s", "-k", "k")).isEqualTo(ExitCode.RECORDS_NOT_PUT);
        assertThat(stderr()).contains("line 2 is");
        assertThat(kinesis.accepted).extracting(e -> e.data().asUtf8String()).containsExactly("small", "last");
    }

    private static final Function<PutRecordsRequestEntry, Integer> INDEX = e ->
            Integer.parseInt(e.data().asUtf8String().substring(1));

    private static int entryIndex(PutRecordsRequestEntry e) {
        return INDEX.apply(e);
    }

    private static FakeKinesis describedStream() {
        return new FakeKinesis() {
            @Override
            public DescribeStreamSummaryResponse describeStreamSummary(DescribeStreamSummaryRequest r) {
                return DescribeStreamSummaryResponse.builder().streamDescriptionSummary(StreamDescriptionSummary
                        .builder().streamName(r.streamName()).streamStatus(StreamStatus.ACTIVE).build()).build();
            }
        };
    }
}
