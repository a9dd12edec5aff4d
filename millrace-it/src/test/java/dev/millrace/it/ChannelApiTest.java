package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelDescription;
import software.amazon.awssdk.services.kinesis.model.ChannelDestinationType;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.ChannelSummary;
import software.amazon.awssdk.services.kinesis.model.CreateChannelRequest;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KmsNotFoundException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Tag;
import software.amazon.awssdk.services.kinesis.model.ValidationException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The channel operations (CreateChannel, DescribeChannel, ListChannels, UpdateChannel, DeleteChannel) as real clients
 * use them against a server run as a child process: the AWS SDK for Java v2, and the AWS CLI taught the 2026 model
 * with {@code aws configure add-model}. States pass through CREATING, UPDATING and DELETING (a transition delay of
 * 500 ms); channels survive a restart of the server.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChannelApiTest {
    private static final String ACCOUNT = "000000000000";
    private static final long DELAY_MS = 500;

    private MillraceProcess server;
    private KinesisClient kinesis;
    private Path dataDir;

    @BeforeAll
    void startServer() throws IOException {
        dataDir = Files.createTempDirectory("millrace-it-channels-");
        start();
    }

    private void start() {
        server = MillraceProcess.startWithTransitionDelay(dataDir, DELAY_MS);
        URI endpoint = server.awaitReady();
        kinesis = Clients.sync(endpoint, true, new Clients.Recorder());
    }

    @AfterAll
    void stopServer() throws IOException {
        kinesis.close();
        server.close();
        KinesisApiContract.deleteTree(dataDir);
    }

    private static String streamArn(String name) {
        return "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + name;
    }

    private void onDemandStream(String name) {
        Streams.createOnDemand(kinesis, name);
    }

    private static Consumer<CreateChannelRequest.Builder> s3Channel(String name, String stream) {
        return b -> b.channelName(name).serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN(streamArn(stream))
                        .recordConfiguration(r -> r.recordFormatType("JSON")))
                .s3DestinationConfiguration(d -> d.storageConfiguration(c -> c.bucketARN("arn:aws:s3:::landing")
                        .expectedBucketOwner(ACCOUNT).compressionType("GZIP")));
    }

    private ChannelDescription describe(String arn) {
        return kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription();
    }

    private ChannelDescription awaitStatus(String arn, ChannelStatus status) {
        return Streams.awaitChannel(kinesis, arn, status);
    }

    @Test
    @org.junit.jupiter.api.Tag("kafka")
    void theJavaSdkCreatesDescribesUpdatesListsTagsAndDeletesAChannelThatSurvivesARestart() {
        onDemandStream("clicks");
        // Other tests of the class may have left channels on this server.
        int before = kinesis.describeLimits().channelCount();
        ChannelDescription created = kinesis.createChannel(s3Channel("clicks-to-s3", "clicks")
                .andThen(b -> b.tags(Map.of("team", "web")))).channelDescription();
        String arn = created.channelARN();
        assertThat(created.channelStatus()).isEqualTo(ChannelStatus.CREATING);
        assertThat(arn).isEqualTo("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":channel/" + created.channelId());
        assertThat(created.channelId()).matches("[a-z][a-z0-9]{19}");

        ChannelDescription active = awaitStatus(arn, ChannelStatus.ACTIVE);
        assertThat(active.s3DestinationConfiguration().dataFreshnessInSeconds()).isEqualTo(300);
        assertThat(active.s3DestinationConfiguration().deadLetterQueueS3Configuration().errorOutputPrefix())
                .isEqualTo("kinesis-channel/errors/clicks-to-s3/" + created.channelId() + "/");
        assertThat(active.s3DestinationConfiguration().storageConfiguration().storageClassAsString())
                .isEqualTo("STANDARD");
        assertThat(active.s3DestinationConfiguration().storageConfiguration().outputKeyTemplate())
                .startsWith("kinesis-channel/!{channel-name}/!{channel-id}/");
        assertThat(active.loggingConfiguration().cloudWatchLogs().enabled()).isFalse();
        assertThat(active.streamConfigurationList().get(0).streamCreationTimestamp()).isNotNull();

        List<ChannelSummary> listed = kinesis.listChannels(b -> b.streamFilter(f -> f.streamARN(streamArn("clicks"))))
                .channelSummaries();
        assertThat(listed).extracting(ChannelSummary::channelARN).containsExactly(arn);
        assertThat(listed.get(0).channelDestinationType()).isEqualTo(ChannelDestinationType.S3);
        assertThat(kinesis.describeStreamSummary(b -> b.streamName("clicks")).streamDescriptionSummary()
                .channelCount()).isEqualTo(1);
        assertThat(kinesis.describeLimits().channelCount()).isEqualTo(before + 1);
        assertThat(kinesis.describeLimits().channelCountLimit()).isEqualTo(100);
        assertThat(kinesis.listTagsForResource(b -> b.resourceARN(arn)).tags())
                .containsExactly(Tag.builder().key("team").value("web").build());
        assertThatThrownBy(() -> kinesis.deleteStream(b -> b.streamName("clicks")))
                .isInstanceOf(ResourceInUseException.class).hasMessageContaining("channel");
        assertThatThrownBy(() -> kinesis.createChannel(s3Channel("second-s3", "clicks")))
                .isInstanceOf(LimitExceededException.class);

        assertThat(kinesis.updateChannel(b -> b.channelARN(arn).s3DestinationConfiguration(d -> d
                .dataFreshnessInSeconds(600))).channelDescription().channelStatus())
                .isEqualTo(ChannelStatus.UPDATING);
        assertThat(awaitStatus(arn, ChannelStatus.ACTIVE).s3DestinationConfiguration().dataFreshnessInSeconds())
                .isEqualTo(600);

        kinesis.close();
        assertThat(server.stop()).isZero();
        start();
        ChannelDescription afterRestart = describe(arn);
        assertThat(afterRestart.channelStatus()).isEqualTo(ChannelStatus.ACTIVE);
        assertThat(afterRestart.s3DestinationConfiguration().dataFreshnessInSeconds()).isEqualTo(600);

        kinesis.deleteChannel(b -> b.channelARN(arn));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThatThrownBy(() -> describe(arn)).isInstanceOf(ResourceNotFoundException.class));
        kinesis.deleteStream(b -> b.streamName("clicks"));
    }

    @Test
    void theJavaSdkGetsAwsStyleErrorsAndAnIcebergChannelFailsWithItsReason() {
        kinesis.createStream(b -> b.streamName("provisioned").shardCount(1));
        Streams.awaitActive(kinesis, "provisioned");
        assertThatThrownBy(() -> kinesis.createChannel(s3Channel("p", "provisioned")))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("PROVISIONED");
        onDemandStream("orders");
        assertThatThrownBy(() -> kinesis.createChannel(s3Channel("f", "orders").andThen(b -> b
                .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds(60).storageConfiguration(c -> c
                        .bucketARN("arn:aws:s3:::landing").expectedBucketOwner(ACCOUNT).compressionType("NONE"))))))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("DataFreshnessInSeconds");
        assertThatThrownBy(() -> kinesis.createChannel(b -> b.channelName("t")
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN(streamArn("orders")).recordConfiguration(r -> r
                        .recordFormatType("JSON").gsrSchemaARN("arn:aws:glue:us-east-1:" + ACCOUNT
                                + ":schema/reg/orders")))
                .s3TablesDestinationConfiguration(d -> d.s3TablesConfigurationList(t -> t
                        .tableBucketARN("arn:aws:s3tables:us-east-1:" + ACCOUNT + ":bucket/tables")
                        .namespace("sales").tableName("orders").compressionType("ZSTD")))))
                .isInstanceOf(ValidationException.class).hasMessageContaining("deadLetterQueueS3Configuration");

        String iceberg = kinesis.createChannel(b -> b.channelName("orders-iceberg")
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN(streamArn("orders")).recordConfiguration(r -> r
                        .recordFormatType("JSON").gsrSchemaARN("arn:aws:glue:us-east-1:" + ACCOUNT
                                + ":schema/reg/orders")))
                .s3TablesDestinationConfiguration(d -> d.deadLetterQueueS3Configuration(q -> q
                                .bucketARN("arn:aws:s3:::dlq").expectedBucketOwner(ACCOUNT))
                        .s3TablesConfigurationList(t -> t.tableBucketARN("arn:aws:s3tables:us-east-1:" + ACCOUNT
                                        + ":bucket/tables").namespace("sales").tableName("orders")
                                .compressionType("ZSTD").partitionSpec(p -> p.partitionFields(f -> f
                                        .transform("TIME_HOUR").sourceName("ts"))))))
                .channelDescription().channelARN();
        ChannelDescription failed = awaitStatus(iceberg, ChannelStatus.FAILED);
        // The schema its GSRSchemaARN names was never created: the table's columns cannot be known.
        assertThat(failed.channelStatusReason()).contains("GSRSchemaARN").contains("schema/reg/orders");
        assertThat(failed.s3TablesDestinationConfiguration().s3TablesConfigurationList().get(0).partitionSpec()
                .partitionFields().get(0).sourceName()).isEqualTo("ts");
        assertThat(kinesis.listChannels(b -> { }).channelSummaries()).extracting(ChannelSummary::channelStatus)
                .contains(ChannelStatus.FAILED);
        kinesis.createChannel(s3Channel("orders-s3", "orders"));
        // The SDK's paginator follows NextToken one channel a page.
        List<software.amazon.awssdk.services.kinesis.model.ListChannelsResponse> pages = kinesis
                .listChannelsPaginator(b -> b.maxResults(1)).stream().toList();
        assertThat(pages.size()).isGreaterThanOrEqualTo(2);
        assertThat(pages).allSatisfy(p -> assertThat(p.channelSummaries()).hasSizeLessThanOrEqualTo(1));
        assertThat(pages.stream().flatMap(p -> p.channelSummaries().stream()).map(ChannelSummary::channelName))
                .contains("orders-iceberg", "orders-s3").doesNotHaveDuplicates();
        kinesis.deleteChannel(b -> b.channelARN(iceberg));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThatThrownBy(() -> describe(iceberg)).isInstanceOf(ResourceNotFoundException.class));
    }

    @Test
    void theAwsCliWithThe2026ModelManagesChannels() throws Exception {
        Path home = Files.createTempDirectory(dataDir, "cli-home-");
        Path model = Path.of(getClass().getResource("/aws-models/kinesis-2026-service-2.json").toURI());
        ExternalCommand.Result added = cli(home, "configure", "add-model", "--service-model", "file://" + model,
                "--service-name", "kinesis");
        assertThat(added.exitCode()).as(added.stderr()).isZero();
        onDemandStream("cli-stream");
        String created = ok(home, "kinesis", "create-channel", "--channel-name", "cli-channel",
                "--service-execution-role-arn", "arn:aws:iam::" + ACCOUNT + ":role/delivery",
                "--stream-configuration-list", "StreamARN=" + streamArn("cli-stream")
                        + ",RecordConfiguration={RecordFormatType=STRING}",
                // JSON, not shorthand: the template's braces would read as shorthand structures.
                "--s3-destination-configuration", "{\"DataFreshnessInSeconds\":900,\"StorageConfiguration\":{"
                        + "\"BucketARN\":\"arn:aws:s3:::cli-bucket\",\"ExpectedBucketOwner\":\"" + ACCOUNT + "\","
                        + "\"CompressionType\":\"NONE\",\"OutputKeyTemplate\":\"raw/!{stream-name}/!{yyyy}/!{MM}/"
                        + "!{dd}/\"}}");
        assertThat(created).contains("\"ChannelStatus\": \"CREATING\"").contains("\"DataFreshnessInSeconds\": 900");
        String arn = created.replaceAll("(?s).*\"ChannelARN\": \"([^\"]+)\".*", "$1");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() ->
                ok(home, "kinesis", "describe-channel", "--channel-arn", arn)
                        .contains("\"ChannelStatus\": \"ACTIVE\""));
        assertThat(ok(home, "kinesis", "list-channels")).contains(arn).contains("\"ChannelDestinationType\": \"S3\"");
        ExternalCommand.Result bad = cli(home, "kinesis", "create-channel", "--channel-name", "bad-template",
                "--service-execution-role-arn", "arn:aws:iam::" + ACCOUNT + ":role/delivery",
                "--stream-configuration-list", "StreamARN=" + streamArn("cli-stream")
                        + ",RecordConfiguration={RecordFormatType=JSON}",
                "--s3-destination-configuration", "{\"StorageConfiguration\":{\"BucketARN\":"
                        + "\"arn:aws:s3:::cli-bucket\",\"ExpectedBucketOwner\":\"" + ACCOUNT + "\","
                        + "\"CompressionType\":\"GZIP\",\"OutputKeyTemplate\":\"x/!{shard-id}\"}}");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.stderr()).contains("InvalidArgumentException").contains("shard-id");
        ok(home, "kinesis", "delete-channel", "--channel-arn", arn);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() ->
                cli(home, "kinesis", "describe-channel", "--channel-arn", arn).stderr()
                        .contains("ResourceNotFoundException"));
    }

    /** With {@code --kms-keys}, EncryptionConfiguration's key must be one of the file's, as StartStreamEncryption's. */
    @Test
    void withAKeyFileTheDestinationKeyMustExist() throws Exception {
        Path dir = Files.createTempDirectory(dataDir, "kms-");
        Path keyFile = dir.resolve("kms-keys.json");
        Files.writeString(keyFile, EncryptionTest.keys(true));
        try (MillraceProcess keyed = MillraceProcess.start(dir.resolve("data"), "--kms-keys", keyFile.toString());
             KinesisClient client = Clients.sync(keyed.awaitReady(), true, new Clients.Recorder())) {
            Streams.createOnDemand(client, "secure");
            assertThatThrownBy(() -> client.createChannel(s3Channel("missing-key", "secure").andThen(b -> b
                    .encryptionConfiguration(e -> e.encryptionType("KMS").keyId("alias/missing")))))
                    .isInstanceOf(KmsNotFoundException.class);
            ChannelDescription created = client.createChannel(s3Channel("with-key", "secure").andThen(b -> b
                    .encryptionConfiguration(e -> e.encryptionType("KMS").keyId("alias/orders")))).channelDescription();
            assertThat(created.encryptionConfiguration().keyId()).isEqualTo("alias/orders");
        }
    }

    private String ok(Path home, String... args) throws Exception {
        ExternalCommand.Result r = cli(home, args);
        assertThat(r.exitCode()).as("aws %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    /** Debian's AWS CLI with a HOME of the test's own, where add-model puts the 2026 Kinesis model. */
    private ExternalCommand.Result cli(Path home, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/aws"));
        if (!args[0].equals("configure")) {
            command.addAll(List.of("--endpoint-url", server.endpoint().toString(), "--output", "json"));
        }
        command.addAll(List.of(args));
        return ExternalCommand.run(command, home, Map.of("HOME", home.toString(), "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY", "secret", "AWS_DEFAULT_REGION", "us-east-1", "AWS_PAGER", "",
                "AWS_CONFIG_FILE", home.resolve("config").toString(), "AWS_SHARED_CREDENTIALS_FILE",
                home.resolve("credentials").toString()), 120);
    }
}
