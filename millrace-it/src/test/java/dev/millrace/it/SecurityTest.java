package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.sts.StsClient;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code --auth sigv4}: requests signed by the Java SDK with an identity's key are served as that identity, whose IAM
 * policy decides; a wrong secret, an unknown key or no credentials get AWS's errors; each identity's account has its
 * own streams, and another account reaches one only when the stream's resource policy lets it; DynamoDB, CloudWatch
 * and STS are checked the same way; SIGHUP reloads the identities and a bad file keeps the old ones.
 */
class SecurityTest {
    static final String A = "111122223333";
    static final String B = "444455556666";
    static final String ORDERS_ARN = "arn:aws:kinesis:us-east-1:" + A + ":stream/orders";

    @TempDir
    static Path work;
    private static MillraceProcess server;
    private static Path identitiesFile;

    /** The identities file: accounts A and B, each identity with its policy (see each test for what it may do). */
    static String identities(String extra) {
        return "{\"identities\": [\n"
                + identity("admin", A, "AKIAADMIN0000000001", "{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":\"*\"}") + ",\n"
                + identity("producer", A, "AKIAPRODUCER0000001", "{\"Effect\":\"Allow\",\"Action\":"
                + "[\"kinesis:PutRecord\",\"kinesis:PutRecords\",\"kinesis:DescribeStreamSummary\"],"
                + "\"Resource\":\"arn:aws:kinesis:us-east-1:" + A + ":stream/orders*\"},"
                + "{\"Effect\":\"Deny\",\"Action\":\"kinesis:Put*\",\"Resource\":\"arn:aws:kinesis:*:*:stream/"
                + "orders-frozen\"}") + ",\n"
                + identity("reader", A, "AKIAREADER000000001", "{\"Effect\":\"Allow\",\"NotAction\":"
                + "[\"kinesis:Delete*\",\"kinesis:Put*\",\"kinesis:Create*\"],\"Resource\":\"*\"}") + ",\n"
                + "{\"name\": \"nobody\", \"accountId\": \"" + A + "\", \"accessKeyId\": \"AKIANOBODY000000001\", "
                + "\"secretAccessKey\": \"nobody-secret\"},\n"
                + identity("partner", B, "AKIAPARTNER00000001", "{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":\"*\"}") + ",\n"
                + identity("local", A, "AKIALOCAL0000000001", "{\"Effect\":\"Allow\",\"Action\":"
                + "\"kinesis:ListStreams\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
                + "\"127.0.0.0/8\"}}},{\"Effect\":\"Allow\",\"Action\":\"kinesis:DescribeLimits\",\"Resource\":"
                + "\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}")
                + extra + "\n]}";
    }

    static String identity(String name, String account, String key, String statements) {
        return "{\"name\": \"" + name + "\", \"accountId\": \"" + account + "\", \"accessKeyId\": \"" + key
                + "\", \"secretAccessKey\": \"" + name + "-secret\", \"policy\": {\"Version\": \"2012-10-17\", "
                + "\"Statement\": [" + statements + "]}}";
    }

    @BeforeAll
    static void start() throws Exception {
        identitiesFile = work.resolve("identities.json");
        Files.writeString(identitiesFile, identities(""));
        server = MillraceProcess.start(work.resolve("data"), "--auth", "sigv4", "--identities",
                identitiesFile.toString());
        KinesisClient admin = kinesis("admin");
        for (String name : List.of("orders", "orders-frozen", "payments")) {
            Streams.createActive(admin, name, 1);
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    static AwsCredentialsProvider keys(String name) {
        String key = switch (name) {
            case "admin" -> "AKIAADMIN0000000001";
            case "producer" -> "AKIAPRODUCER0000001";
            case "reader" -> "AKIAREADER000000001";
            case "nobody" -> "AKIANOBODY000000001";
            case "partner" -> "AKIAPARTNER00000001";
            case "local" -> "AKIALOCAL0000000001";
            default -> ("AKIA" + name.toUpperCase(java.util.Locale.ROOT) + "0000000000000000").substring(0, 19);
        };
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(key, name + "-secret"));
    }

    static KinesisClient kinesis(String name) {
        return kinesis(keys(name));
    }

    static KinesisClient kinesis(AwsCredentialsProvider credentials) {
        return kinesisAt(server.endpoint(), credentials);
    }

    /** A sync client without retries on {@code endpoint}, signing with {@code name}'s key. */
    static KinesisClient kinesisAt(URI endpoint, String name) {
        return kinesisAt(endpoint, keys(name));
    }

    static KinesisClient kinesisAt(URI endpoint, AwsCredentialsProvider credentials) {
        return KinesisClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none())).build();
    }

    /** The AWS error a call fails with: its code, HTTP status and message. */
    static AwsServiceException failure(Runnable call) {
        try {
            call.run();
        } catch (AwsServiceException e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }

    static void deniedWith(Runnable call, String... messageParts) {
        AwsServiceException e = failure(call);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
        assertThat(e.awsErrorDetails().errorMessage()).contains(messageParts);
    }

    static Consumer<software.amazon.awssdk.services.kinesis.model.PutRecordRequest.Builder> put(String stream,
                                                                                                 String text) {
        return b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromString(text, StandardCharsets.UTF_8));
    }

    @Test
    void aWrongSecretAnUnknownKeyOrNoCredentialsGetAwsErrors() {
        AwsServiceException wrongSecret = failure(() -> kinesis(StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIAADMIN0000000001", "not-the-secret"))).listStreams());
        assertThat(wrongSecret.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
        assertThat(wrongSecret.awsErrorDetails().errorMessage())
                .startsWith("The request signature we calculated does not match the signature you provided.");
        AwsServiceException unknown = failure(() -> kinesis(StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIAUNKNOWN00000001", "x"))).listStreams());
        assertThat(unknown.awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException");
        assertThat(unknown.awsErrorDetails().errorMessage())
                .isEqualTo("The security token included in the request is invalid.");
        AwsServiceException none = failure(() -> kinesis(AnonymousCredentialsProvider.create()).listStreams());
        assertThat(none.awsErrorDetails().errorCode()).isEqualTo("MissingAuthenticationTokenException");
        assertThat(none.statusCode()).isEqualTo(400);
    }

    @Test
    void eachIdentitysPolicyDecidesWhatItMayDo() {
        KinesisClient producer = kinesis("producer");
        assertThat(producer.putRecord(put("orders", "one")).sequenceNumber()).isNotEmpty();
        deniedWith(() -> producer.putRecord(put("orders-frozen", "no")), "User: arn:aws:iam::" + A
                + ":user/producer is not authorized to perform: kinesis:PutRecord on resource: "
                + "arn:aws:kinesis:us-east-1:" + A + ":stream/orders-frozen with an explicit deny in an "
                + "identity-based policy");
        deniedWith(() -> producer.putRecord(put("payments", "no")), "on resource: arn:aws:kinesis:us-east-1:" + A
                + ":stream/payments because no identity-based policy allows the kinesis:PutRecord action");
        deniedWith(() -> producer.deleteStream(b -> b.streamName("orders")), "kinesis:DeleteStream");
        deniedWith(producer::listStreams, "kinesis:ListStreams because no identity-based policy allows");

        KinesisClient reader = kinesis("reader");
        assertThat(reader.listStreams().streamNames()).contains("orders", "payments");
        assertThat(Streams.readShardWritten(reader, "orders", "shardId-000000000000")).isNotEmpty();
        deniedWith(() -> reader.deleteStream(b -> b.streamName("orders")), "kinesis:DeleteStream");
        deniedWith(() -> reader.putRecord(put("orders", "no")), "kinesis:PutRecord");

        deniedWith(() -> kinesis("nobody").listStreams(), "user/nobody is not authorized to perform: "
                + "kinesis:ListStreams");
        // Conditions see where the call came from: this test's client is on 127.0.0.1.
        assertThat(kinesis("local").listStreams().streamNames()).contains("orders");
        deniedWith(() -> kinesis("local").describeLimits(), "kinesis:DescribeLimits");
        assertThat(kinesis("admin").describeStreamSummary(b -> b.streamName("orders"))
                .streamDescriptionSummary().streamARN()).isEqualTo(ORDERS_ARN);
    }

    @Test
    void anotherAccountReachesAStreamOnlyWhenItsResourcePolicyLetsIt() {
        KinesisClient partner = kinesis("partner");
        KinesisClient admin = kinesis("admin");
        assertThat(partner.listStreams().streamNames()).as("account B has none of A's streams")
                .doesNotContain("orders", "payments");
        Streams.createActive(partner, "orders", 1);
        assertThat(partner.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
                .streamARN()).isEqualTo("arn:aws:kinesis:us-east-1:" + B + ":stream/orders");

        deniedWith(() -> partner.putRecord(b -> b.streamARN(ORDERS_ARN).partitionKey("k")
                .data(SdkBytes.fromUtf8String("x"))), "user/partner is not authorized to perform: "
                + "kinesis:PutRecord on resource: " + ORDERS_ARN + " because no resource-based policy allows");

        admin.putResourcePolicy(b -> b.resourceARN(ORDERS_ARN).policy("{\"Version\":\"2012-10-17\",\"Statement\":[{"
                + "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + B + ":root\"},\"Action\":["
                + "\"kinesis:PutRecord\",\"kinesis:GetShardIterator\",\"kinesis:GetRecords\","
                + "\"kinesis:DescribeStreamSummary\"],\"Resource\":\"" + ORDERS_ARN + "\"}]}"));
        String sequence = partner.putRecord(b -> b.streamARN(ORDERS_ARN).partitionKey("k")
                .data(SdkBytes.fromUtf8String("from B"))).sequenceNumber();
        assertThat(Streams.readShardWritten(admin, "orders", "shardId-000000000000"))
                .anyMatch(w -> w.sequenceNumber().equals(sequence) && new String(w.data(), StandardCharsets.UTF_8)
                        .equals("from B"));
        assertThat(Streams.readShardWritten(partner, "orders", "shardId-000000000000"))
                .as("B's own stream of that name is apart").noneMatch(w -> w.sequenceNumber().equals(sequence));
        // GetRecords with an iterator alone reads the stream the iterator was issued for, in A.
        String iterator = partner.getShardIterator(b -> b.streamARN(ORDERS_ARN).shardId("shardId-000000000000")
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<Record> read = partner.getRecords(b -> b.shardIterator(iterator)).records();
        assertThat(read).anyMatch(r -> r.sequenceNumber().equals(sequence));
        deniedWith(() -> partner.deleteStream(b -> b.streamARN(ORDERS_ARN)), "kinesis:DeleteStream",
                "because no resource-based policy allows");
    }

    @Test
    void dynamoDbCloudWatchAndStsAreCheckedTheSameWay() {
        URI endpoint = server.endpoint();
        try (DynamoDbClient producerDb = DynamoDbClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(keys("producer")).httpClient(UrlConnectionHttpClient.create()).build();
             DynamoDbClient adminDb = DynamoDbClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                     .credentialsProvider(keys("admin")).httpClient(UrlConnectionHttpClient.create()).build();
             CloudWatchClient producerCw = CloudWatchClient.builder().endpointOverride(endpoint)
                     .region(Region.US_EAST_1).credentialsProvider(keys("producer"))
                     .httpClient(UrlConnectionHttpClient.create()).build();
             CloudWatchClient adminCw = CloudWatchClient.builder().endpointOverride(endpoint)
                     .region(Region.US_EAST_1).credentialsProvider(keys("admin"))
                     .httpClient(UrlConnectionHttpClient.create()).build();
             StsClient sts = StsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                     .credentialsProvider(keys("reader")).httpClient(UrlConnectionHttpClient.create()).build()) {
            AwsServiceException db = failure(() -> producerDb.describeTable(b -> b.tableName("leases")));
            assertThat(db.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
            assertThat(db.awsErrorDetails().errorMessage()).contains("dynamodb:DescribeTable on resource: "
                    + "arn:aws:dynamodb:us-east-1:" + A + ":table/leases");
            assertThat(failure(() -> adminDb.describeTable(b -> b.tableName("leases"))).awsErrorDetails()
                    .errorCode()).as("allowed, then not found").isEqualTo("ResourceNotFoundException");

            AwsServiceException cw = failure(() -> producerCw.putMetricData(b -> b.namespace("app")
                    .metricData(m -> m.metricName("m").value(1.0).unit(StandardUnit.COUNT))));
            assertThat(cw.statusCode()).isEqualTo(403);
            assertThat(cw.awsErrorDetails().errorMessage()).contains("cloudwatch:PutMetricData");
            adminCw.putMetricData(b -> b.namespace("app").metricData(m -> m.metricName("m").value(1.0)
                    .unit(StandardUnit.COUNT)));

            assertThat(sts.getCallerIdentity().arn()).isEqualTo("arn:aws:iam::" + A + ":user/reader");
            assertThat(sts.getCallerIdentity().account()).isEqualTo(A);
        }
    }

    @Test
    void sighupReloadsTheIdentitiesAndABadFileKeepsTheOldOnes() throws Exception {
        KinesisClient newcomer = kinesis("newcomer");
        assertThat(failure(newcomer::listStreams).awsErrorDetails().errorCode())
                .isEqualTo("UnrecognizedClientException");
        Files.writeString(identitiesFile, identities(",\n" + identity("newcomer", A, "AKIANEWCOMER0000000",
                "{\"Effect\":\"Allow\",\"Action\":\"kinesis:ListStreams\",\"Resource\":\"*\"}")));
        hangup();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .untilAsserted(() -> assertThat(newcomer.listStreams().streamNames()).contains("orders"));

        Files.writeString(identitiesFile, "{\"identities\": [ this is not JSON");
        hangup();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.output().contains("not reloaded"));
        assertThat(newcomer.listStreams().streamNames()).as("the identities in force stay").contains("orders");
        Files.writeString(identitiesFile, identities(""));
        hangup();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(failure(newcomer::listStreams)
                .awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException"));
    }

    private static void hangup() throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(server.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }
}
