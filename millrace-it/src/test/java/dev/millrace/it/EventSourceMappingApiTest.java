package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateEventSourceMappingResponse;
import software.amazon.awssdk.services.lambda.model.EventSourceMappingConfiguration;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Lambda's event source mapping API on Millrace's port, as real clients use it against a server run as a child
 * process with {@code --auth sigv4} and two {@code --function}s: the AWS SDK for Java v2's LambdaClient (signing
 * service {@code lambda}) creates, gets, updates, lists (paged, filtered) and deletes mappings of a stream and of a
 * stream consumer; bad input gets Lambda's errors as the SDK maps them; unsigned, wrongly signed and unauthorized
 * calls get Lambda's error shape; the AWS CLI creates, lists and deletes one; and mappings survive a restart.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time, in their order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventSourceMappingApiTest {
    private static final String ACCOUNT = "111122223333";
    private static final String ADMIN_KEY = "AKIALAMBDAADMIN0001";
    private static final String READER_KEY = "AKIALAMBDAREADER001";
    private static final String PREFIX = "arn:aws:kinesis:eu-west-1:" + ACCOUNT + ":stream/";
    private static final String STREAM_ARN = PREFIX + "orders";
    private static final String FUNCTION_PREFIX = "arn:aws:lambda:eu-west-1:" + ACCOUNT + ":function:";
    /** Nothing listens there: the engine's invocations are refused and retried; these tests look at the API only. */
    private static final String NOWHERE = "http://127.0.0.1:9/2015-03-31/functions/function/invocations";
    private static final String PATH = "/2015-03-31/event-source-mappings/";

    private Path work;
    private MillraceProcess server;
    private LambdaClient admin;
    private String consumerArn;
    /** The stream's mapping to orders, kept through the tests and the restart. */
    private String kept;

    @BeforeAll
    void startServer() throws IOException {
        work = Files.createTempDirectory("millrace-it-lambda-");
        Files.writeString(work.resolve("identities.json"), "{\"identities\": [\n"
                + SecurityTest.identity("admin", ACCOUNT, ADMIN_KEY,
                "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}") + ",\n"
                + SecurityTest.identity("reader", ACCOUNT, READER_KEY,
                "{\"Effect\":\"Allow\",\"Action\":[\"lambda:Get*\",\"lambda:List*\"],\"Resource\":\"*\"}")
                + "\n]}");
        start();
        admin = lambda(ADMIN_KEY, "admin-secret");
        try (KinesisClient kinesis = KinesisClient.builder().endpointOverride(server.endpoint())
                .region(Region.EU_WEST_1).credentialsProvider(credentials(ADMIN_KEY, "admin-secret"))
                .httpClient(UrlConnectionHttpClient.builder().build()).build()) {
            kinesis.createStream(b -> b.streamName("orders").shardCount(1));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName("orders"));
            consumerArn = kinesis.registerStreamConsumer(b -> b.streamARN(STREAM_ARN).consumerName("efo"))
                    .consumer().consumerARN();
        }
    }

    private void start() {
        server = MillraceProcess.start(work.resolve("data"), "--auth", "sigv4", "--identities",
                work.resolve("identities.json").toString(), "--function", "orders=" + NOWHERE, "--function",
                "audit=" + NOWHERE);
        server.awaitReady();
    }

    @AfterAll
    void stopServer() throws IOException {
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
        KinesisApiContract.deleteTree(work);
    }

    private static StaticCredentialsProvider credentials(String keyId, String secret) {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId, secret));
    }

    private LambdaClient lambda(String keyId, String secret) {
        return LambdaClient.builder().endpointOverride(server.endpoint()).region(Region.EU_WEST_1)
                .credentialsProvider(credentials(keyId, secret))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()))
                .httpClient(UrlConnectionHttpClient.builder().build()).build();
    }

    private String stateOf(String uuid) {
        return admin.getEventSourceMapping(b -> b.uuid(uuid)).state();
    }

    @Test
    @Order(1)
    void sdkCreatesGetsUpdatesListsAndDeletesMappings() {
        CreateEventSourceMappingResponse created = admin.createEventSourceMapping(b -> b.functionName("orders")
                .eventSourceArn(STREAM_ARN).startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(50));
        kept = created.uuid();
        assertThat(kept).matches("[0-9a-f-]{36}");
        assertThat(created.state()).isEqualTo("Creating");
        assertThat(created.functionArn()).isEqualTo(FUNCTION_PREFIX + "orders");
        assertThat(created.eventSourceArn()).isEqualTo(STREAM_ARN);
        assertThat(created.eventSourceMappingArn()).isEqualTo("arn:aws:lambda:eu-west-1:" + ACCOUNT
                + ":event-source-mapping:" + kept);
        assertThat(created.batchSize()).isEqualTo(50);
        assertThat(created.startingPosition()).isEqualTo(EventSourcePosition.TRIM_HORIZON);
        await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(kept).equals("Enabled"));

        var updated = admin.updateEventSourceMapping(b -> b.uuid(kept).batchSize(200).enabled(false));
        assertThat(updated.batchSize()).isEqualTo(200);
        assertThat(updated.state()).isEqualTo("Disabling");
        await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(kept).equals("Disabled"));
        assertThat(admin.getEventSourceMapping(b -> b.uuid(kept)).batchSize()).isEqualTo(200);

        String audit = admin.createEventSourceMapping(b -> b.functionName(FUNCTION_PREFIX + "audit")
                .eventSourceArn(STREAM_ARN).startingPosition(EventSourcePosition.LATEST)).uuid();
        String efo = admin.createEventSourceMapping(b -> b.functionName("orders").eventSourceArn(consumerArn)
                .startingPosition(EventSourcePosition.LATEST)).uuid();
        List<String> paged = new ArrayList<>();
        admin.listEventSourceMappingsPaginator(b -> b.maxItems(1)).eventSourceMappings()
                .forEach(m -> paged.add(m.uuid()));
        assertThat(paged).containsExactlyInAnyOrder(kept, audit, efo);
        assertThat(admin.listEventSourceMappings(b -> b.maxItems(1)).nextMarker()).isNotNull();
        assertThat(admin.listEventSourceMappings(b -> b.functionName("orders")).eventSourceMappings())
                .extracting(EventSourceMappingConfiguration::uuid).containsExactlyInAnyOrder(kept, efo);
        assertThat(admin.listEventSourceMappings(b -> b.functionName("audit").eventSourceArn(STREAM_ARN))
                .eventSourceMappings()).extracting(EventSourceMappingConfiguration::uuid).containsExactly(audit);
        assertThat(admin.listEventSourceMappings(b -> b.eventSourceArn(consumerArn)).eventSourceMappings())
                .extracting(EventSourceMappingConfiguration::uuid).containsExactly(efo);

        await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(audit).equals("Enabled"));
        assertThat(admin.deleteEventSourceMapping(b -> b.uuid(audit)).state()).isEqualTo("Deleting");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(() -> stateOf(audit))
                .isInstanceOf(ResourceNotFoundException.class));
        assertThat(admin.listEventSourceMappings(b -> { }).eventSourceMappings())
                .extracting(EventSourceMappingConfiguration::uuid).containsExactlyInAnyOrder(kept, efo);
    }

    @Test
    @Order(2)
    void badInputGetsLambdasErrors() {
        assertThatThrownBy(() -> admin.getEventSourceMapping(b -> b.uuid("00000000-0000-0000-0000-000000000000")))
                .isInstanceOfSatisfying(ResourceNotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.awsErrorDetails().errorMessage())
                            .isEqualTo("The resource you requested does not exist.");
                });
        assertThatThrownBy(() -> admin.createEventSourceMapping(b -> b.functionName("orders")
                .eventSourceArn(STREAM_ARN).startingPosition(EventSourcePosition.LATEST)))
                .isInstanceOfSatisfying(ResourceConflictException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(409);
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("The event source arn (\" "
                            + STREAM_ARN + " \") and function (\" orders \") provided mapping already exists. "
                            + "Please update or delete the existing mapping with UUID " + kept);
                });
        assertThatThrownBy(() -> admin.createEventSourceMapping(b -> b.functionName("nobody")
                .eventSourceArn(STREAM_ARN).startingPosition(EventSourcePosition.LATEST)))
                .isInstanceOfSatisfying(InvalidParameterValueException.class, e ->
                        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Function does not exist"));
        assertThatThrownBy(() -> admin.createEventSourceMapping(b -> b.functionName("audit")
                .eventSourceArn(PREFIX + "missing").startingPosition(EventSourcePosition.LATEST)))
                .isInstanceOfSatisfying(InvalidParameterValueException.class, e ->
                        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Stream not found: " + PREFIX
                                + "missing"));
        assertThatThrownBy(() -> admin.createEventSourceMapping(b -> b.functionName("audit")
                .eventSourceArn(STREAM_ARN).startingPosition(EventSourcePosition.LATEST).batchSize(0)))
                .isInstanceOfSatisfying(LambdaException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                    assertThat(e.awsErrorDetails().errorMessage()).contains("at 'batchSize' failed to satisfy");
                });
    }

    @Test
    @Order(3)
    void unsignedWronglySignedAndUnauthorizedCallsGetLambdasErrorShape() throws Exception {
        HttpResponse<String> unsigned = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.endpoint() + PATH)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.headers().firstValue("x-amzn-ErrorType"))
                .contains("MissingAuthenticationTokenException");
        assertThat(unsigned.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(unsigned.headers().firstValue("x-amzn-RequestId")).isPresent();
        assertThat(unsigned.body()).contains("\"Type\":\"User\"").contains("\"message\":");

        try (LambdaClient wrongSecret = lambda(ADMIN_KEY, "not-the-secret")) {
            assertThatThrownBy(() -> wrongSecret.listEventSourceMappings(b -> { }))
                    .isInstanceOfSatisfying(LambdaException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
                    });
        }
        try (LambdaClient reader = lambda(READER_KEY, "reader-secret")) {
            assertThat(reader.getEventSourceMapping(b -> b.uuid(kept)).batchSize()).isEqualTo(200);
            assertThat(reader.listEventSourceMappings(b -> { }).eventSourceMappings()).hasSize(2);
            assertThatThrownBy(() -> reader.deleteEventSourceMapping(b -> b.uuid(kept)))
                    .isInstanceOfSatisfying(LambdaException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                        assertThat(e.awsErrorDetails().errorMessage()).contains("lambda:DeleteEventSourceMapping")
                                .contains(":event-source-mapping:" + kept);
                    });
        }
        assertThat(stateOf(kept)).as("the refused delete changed nothing").isEqualTo("Disabled");
    }

    @Test
    @Order(4)
    void awsCliCreatesListsAndDeletesAMapping() throws Exception {
        Path home = Files.createDirectories(work.resolve("cli-home"));
        String created = ok(home, "lambda", "create-event-source-mapping", "--function-name", "audit",
                "--event-source-arn", STREAM_ARN, "--starting-position", "LATEST", "--batch-size", "10");
        assertThat(created).contains("\"FunctionArn\": \"" + FUNCTION_PREFIX + "audit\"")
                .contains("\"BatchSize\": 10").contains("\"State\": \"Creating\"");
        String uuid = created.replaceAll("(?s).*\"UUID\": \"([0-9a-f-]{36})\".*", "$1");
        assertThat(ok(home, "lambda", "list-event-source-mappings", "--function-name", "audit"))
                .contains("\"UUID\": \"" + uuid + "\"").doesNotContain(kept);
        await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(uuid).equals("Enabled"));
        assertThat(ok(home, "lambda", "delete-event-source-mapping", "--uuid", uuid))
                .contains("\"State\": \"Deleting\"");
        ExternalCommand.Result missing = cli(home, "lambda", "get-event-source-mapping", "--uuid",
                "00000000-0000-0000-0000-000000000000");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("ResourceNotFoundException");
    }

    @Test
    @Order(5)
    void mappingsSurviveARestart() {
        admin.close();
        server.close();
        start();
        admin = lambda(ADMIN_KEY, "admin-secret");
        var after = admin.getEventSourceMapping(b -> b.uuid(kept));
        assertThat(after.state()).isEqualTo("Disabled");
        assertThat(after.batchSize()).isEqualTo(200);
        assertThat(after.functionArn()).isEqualTo(FUNCTION_PREFIX + "orders");
        assertThat(admin.listEventSourceMappings(b -> b.eventSourceArn(consumerArn)).eventSourceMappings())
                .hasSize(1);
        // Still one mapping per stream and function: the pair is remembered too.
        assertThatThrownBy(() -> admin.createEventSourceMapping(b -> b.functionName("orders")
                .eventSourceArn(STREAM_ARN).startingPosition(EventSourcePosition.LATEST)))
                .isInstanceOf(ResourceConflictException.class);
    }

    private String ok(Path home, String... args) throws Exception {
        ExternalCommand.Result r = cli(home, args);
        assertThat(r.exitCode()).as("aws %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    /** Debian's AWS CLI ({@link AwsCliTest}) with a HOME of the test's own, signing as the admin for eu-west-1. */
    private ExternalCommand.Result cli(Path home, String... args) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/aws"))) {
            throw new IllegalStateException("/usr/bin/aws is missing: apt-get install -y awscli (./verify does, as "
                    + "root)");
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url",
                server.endpoint().toString(), "--output", "json"));
        command.addAll(List.of(args));
        return ExternalCommand.run(command, home, Map.of("HOME", home.toString(), "AWS_ACCESS_KEY_ID", ADMIN_KEY,
                "AWS_SECRET_ACCESS_KEY", "admin-secret", "AWS_DEFAULT_REGION", "eu-west-1", "AWS_PAGER", "",
                "AWS_CONFIG_FILE", home.resolve("config").toString(),
                "AWS_SHARED_CREDENTIALS_FILE", home.resolve("credentials").toString()), 120);
    }
}
