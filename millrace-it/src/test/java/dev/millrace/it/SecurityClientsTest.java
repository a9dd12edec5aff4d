package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code --auth sigv4} from every kind of client: the AWS CLI and the JS SDK v3 (HTTP/2) with the right key, a wrong
 * secret, an unknown key and none; the Java SDK's async HTTP/2 client subscribing to a shard (allowed for one identity,
 * refused for another); a request signed ten minutes ago; and thousands of malformed Authorization headers and
 * presigned query strings, every one answered with a 4xx AWS error, the server healthy after.
 */
class SecurityClientsTest {
    @TempDir
    static Path work;
    private static MillraceProcess server;

    @BeforeAll
    static void start() throws Exception {
        Path identities = work.resolve("identities.json");
        Files.writeString(identities, SecurityTest.identities(",\n" + SecurityTest.identity("consumer",
                SecurityTest.A, "AKIACONSUMER0000000", "{\"Effect\":\"Allow\",\"Action\":[\"kinesis:SubscribeToShard\","
                        + "\"kinesis:DescribeStreamConsumer\"],\"Resource\":\"arn:aws:kinesis:us-east-1:"
                        + SecurityTest.A + ":stream/orders/consumer/*\"}")));
        ExternalCommand.installJsScripts(work, "auth-check.mjs");
        server = MillraceProcess.start(work.resolve("data"), "--auth", "sigv4", "--identities",
                identities.toString());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    private ExternalCommand.Result cli(String key, String secret, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url",
                server.endpoint().toString(), "--output", "json", "kinesis"));
        command.addAll(List.of(args));
        Map<String, String> env = new TreeMap<>(Map.of("AWS_DEFAULT_REGION", "us-east-1", "AWS_PAGER", "",
                "AWS_CONFIG_FILE", "/dev/null", "AWS_SHARED_CREDENTIALS_FILE", "/dev/null", "AWS_MAX_ATTEMPTS", "1"));
        if (key != null) {
            env.put("AWS_ACCESS_KEY_ID", key);
            env.put("AWS_SECRET_ACCESS_KEY", secret);
        }
        return ExternalCommand.run(command, work, env, 120);
    }

    @Test
    void theAwsCliSignsWithTheRightKeyAndGetsAwsErrorsOtherwise() throws Exception {
        ExternalCommand.Result ok = cli("AKIAADMIN0000000001", "admin-secret", "create-stream", "--stream-name",
                "cli", "--shard-count", "1");
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        ExternalCommand.Result wrong = cli("AKIAADMIN0000000001", "wrong", "list-streams");
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.stderr()).contains("InvalidSignatureException").contains("does not match");
        ExternalCommand.Result unknown = cli("AKIAUNKNOWN00000001", "x", "list-streams");
        assertThat(unknown.stderr()).contains("UnrecognizedClientException");
        ExternalCommand.Result unsigned = cli(null, null, "list-streams", "--no-sign-request");
        assertThat(unsigned.stderr()).contains("MissingAuthenticationTokenException");
        ExternalCommand.Result denied = cli("AKIAPRODUCER0000001", "producer-secret", "delete-stream",
                "--stream-name", "cli");
        assertThat(denied.stderr()).contains("AccessDeniedException").contains("kinesis:DeleteStream");
    }

    @Test
    void theJsSdkSignsWithTheRightKeyAndGetsAwsErrorsOtherwise() throws Exception {
        String node = ExternalCommand.require("node", "install Node.js (apt-get install -y nodejs)");
        String endpoint = server.endpoint().toString();
        assertThat(js(node, endpoint, "AKIAREADER000000001", "reader-secret")).contains("\"ok\":true");
        assertThat(js(node, endpoint, "AKIAREADER000000001", "wrong")).contains("\"name\":\"InvalidSignatureException\"");
        assertThat(js(node, endpoint, "AKIAUNKNOWN00000001", "x"))
                .contains("\"name\":\"UnrecognizedClientException\"");
        assertThat(js(node, endpoint, "AKIANOBODY000000001", "nobody-secret"))
                .contains("\"name\":\"AccessDeniedException\"").contains("user/nobody");
    }

    private String js(String node, String endpoint, String key, String secret) throws Exception {
        ExternalCommand.Result r = ExternalCommand.run(List.of(node, "auth-check.mjs", endpoint, key, secret), work,
                Map.of(), 120);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void subscribeToShardOverHttp2IsSignedAndAuthorized() throws Exception {
        KinesisClient admin = SecurityTest.kinesisAt(server.endpoint(), "admin");
        Streams.createActive(admin, "orders", 1);
        String streamArn = admin.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
                .streamARN();
        String consumerArn = admin.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("app"))
                .consumer().consumerARN();
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.describeStreamConsumer(b -> b.consumerARN(
                consumerArn)).consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
        admin.putRecord(b -> b.streamName("orders").partitionKey("k").data(SdkBytes.fromUtf8String("pushed")));

        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        try (KinesisAsyncClient consumer = async("consumer"); KinesisAsyncClient producer = async("producer")) {
            CompletableFuture<Void> refused = producer.subscribeToShard(b -> b.consumerARN(consumerArn)
                    .shardId("shardId-000000000000").startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)),
                    SubscribeToShardResponseHandler.builder().subscriber(e -> { }).build());
            assertThat(refused).failsWithin(30, TimeUnit.SECONDS).withThrowableThat()
                    .withMessageContaining("AccessDeniedException")
                    .withMessageContaining("user/producer is not authorized to perform: kinesis:SubscribeToShard");

            CompletableFuture<Void> subscription = consumer.subscribeToShard(b -> b.consumerARN(consumerArn)
                    .shardId("shardId-000000000000").startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)),
                    SubscribeToShardResponseHandler.builder().subscriber(SubscribeToShardResponseHandler.Visitor
                            .builder().onSubscribeToShardEvent((SubscribeToShardEvent e) -> e.records().forEach(r ->
                                    received.add(r.data().asUtf8String()))).build()).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> received.contains("pushed"));
            subscription.cancel(true);
        }
    }

    private KinesisAsyncClient async(String name) {
        return KinesisAsyncClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(SecurityTest.keys(name)).httpClient(NettyNioAsyncHttpClient.builder()
                        .protocol(software.amazon.awssdk.http.Protocol.HTTP2).build()).build();
    }

    @Test
    void aRequestSignedTenMinutesAgoHasExpired() throws Exception {
        Instant tenMinutesAgo = Instant.now().minus(Duration.ofMinutes(10));
        HttpResponse<String> r = send(signed("{}", "Kinesis_20131202.ListStreams", "AKIAADMIN0000000001",
                "admin-secret", Clock.fixed(tenMinutesAgo, ZoneOffset.UTC)));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("InvalidSignatureException").contains("Signature expired: ")
                .contains(" - 5 min.)");
        HttpResponse<String> now = send(signed("{}", "Kinesis_20131202.ListStreams", "AKIAADMIN0000000001",
                "admin-secret", Clock.systemUTC()));
        assertThat(now.statusCode()).as(now.body()).isEqualTo(200);
    }

    @Test
    void thousandsOfMalformedAuthorizationsAreEachA4xxAndTheServerStaysHealthy() throws Exception {
        SdkHttpRequest good = signed("{}", "Kinesis_20131202.ListStreams", "AKIAADMIN0000000001", "admin-secret",
                Clock.systemUTC());
        String authorization = good.firstMatchingHeader("Authorization").orElseThrow();
        Random random = new Random(16);
        Map<Integer, Integer> statuses = new TreeMap<>();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 5_000; i++) {
            boolean byQuery = i % 4 == 0;
            String mangled = mangle(authorization, random);
            HttpRequest.Builder b = HttpRequest.newBuilder(byQuery ? URI.create(server.endpoint() + "/?"
                            + presignedQuery(random)) : server.endpoint())
                    .header("Content-Type", "application/x-amz-json-1.1")
                    .header("X-Amz-Target", "Kinesis_20131202.ListStreams")
                    .header("X-Amz-Date", good.firstMatchingHeader("X-Amz-Date").orElseThrow())
                    .POST(HttpRequest.BodyPublishers.ofString("{}"));
            if (!byQuery && !mangled.isEmpty()) {
                b.header("Authorization", mangled);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            statuses.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() != 200) {
                // (A mangling that leaves the signed parts whole, a second copy after the first, say, still
                // verifies: that is a well-signed request, answered 200.)
                assertThat(r.statusCode()).as("request %d (%s): %s", i, byQuery ? "query" : mangled, r.body())
                        .isBetween(400, 499);
                assertThat(r.body()).contains("Exception");
            }
        }
        System.out.println("Malformed authentication, answers by status: " + statuses);
        assertThat(statuses.getOrDefault(200, 0)).as("nearly every mangled request is refused").isLessThan(500);
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(server.endpoint() + "/health"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(send(signed("{}", "Kinesis_20131202.ListStreams", "AKIAADMIN0000000001", "admin-secret",
                Clock.systemUTC())).statusCode()).isEqualTo(200);
    }

    /** A mangled copy of a good Authorization header: cut, duplicated, emptied or stuffed, never quite right. */
    private static String mangle(String authorization, Random random) {
        StringBuilder s = new StringBuilder(authorization);
        switch (random.nextInt(8)) {
            case 0 -> s.setLength(random.nextInt(s.length()));
            case 1 -> s.append(", ").append(authorization);
            case 2 -> s.setCharAt(random.nextInt(s.length()), (char) (33 + random.nextInt(94)));
            case 3 -> s.replace(0, s.length(), s.toString().replace("Credential=", "Credential=" + "x/".repeat(
                    random.nextInt(50))));
            case 4 -> s.replace(0, s.length(), s.toString().replace("SignedHeaders=", "SignedHeaders=a;b;"
                    + "c;".repeat(random.nextInt(100))));
            case 5 -> s.replace(0, s.length(), "AWS4-HMAC-SHA256 " + "Credential=".repeat(random.nextInt(5)));
            case 6 -> s.insert(random.nextInt(s.length()), "=".repeat(1 + random.nextInt(3000)));
            default -> s.replace(0, s.length(), s.toString().replace("Signature=", "Signature=0"));
        }
        return s.toString().strip();
    }

    /** Presigned-style query parameters, each present or missing, some with junk. */
    private static String presignedQuery(Random random) {
        List<String> parts = new ArrayList<>();
        String[] names = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"};
        String[] values = {"AWS4-HMAC-SHA256", "AKIAADMIN0000000001/20261206/us-east-1/kinesis/aws4_request",
                "20261206T000000Z", "300", "host", "00ff", "token"};
        for (int n = 0; n < names.length; n++) {
            if (random.nextInt(3) > 0) {
                String value = random.nextInt(4) == 0 ? "%25zz" + random.nextInt() : values[n];
                parts.add(names[n] + "=" + (value.startsWith("%25") ? value
                        : URLEncoder.encode(value, StandardCharsets.UTF_8)));
            }
        }
        parts.add("X-Amz-Algorithm=AWS4-HMAC-SHA256");
        return String.join("&", parts);
    }

    /** A Kinesis JSON request signed by the SDK's signer with {@code clock}, as the SDK would send it. */
    private static SdkHttpRequest signed(String body, String target, String key, String secret, Clock clock) {
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(server.endpoint())
                .putHeader("Content-Type", "application/x-amz-json-1.1").putHeader("X-Amz-Target", target).build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(AwsCredentialsIdentity.create(key,
                        secret)).request(request)
                .payload(ContentStreamProvider.fromUtf8String(body))
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "kinesis")
                .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, clock));
        return signed.request();
    }

    private static HttpResponse<String> send(SdkHttpRequest signed) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(signed.getUri()).POST(HttpRequest.BodyPublishers.ofString(
                "{}"));
        signed.forEachHeader((name, values) -> {
            if (!name.equalsIgnoreCase("Host")) {
                values.forEach(v -> b.header(name, v));
            }
        });
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(b.build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
