package dev.millrace.it;

import dev.millrace.it.KclHarness.Producer;
import dev.millrace.it.KclWorker.App;
import dev.millrace.it.KclWorker.Retrieval;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * KCL 3.x applications run with a least-privilege identity under {@code --auth sigv4}: the workers sign with an
 * identity whose policy is the README's {@code orders-app} example (read from README.md, so the README is what is
 * tested), adapted only in the stream and application names, and a producer with the README's {@code producer} policy
 * writes the records. A polling application and an enhanced fan-out application (with its metrics published to
 * CloudWatch) each process every record and are never refused anything; an identity whose policy lacks
 * {@code dynamodb:UpdateItem} is refused it and so never takes a lease, which shows that the policy is what decides.
 *
 * <p>The three applications run at once on one server, each spending most of its ~25 s in KCL's start: the one without
 * {@code UpdateItem} from the class's start, in the background ({@link #noUpdateItemRun}), its test only waiting for
 * it. Each worker counts its own calls ({@link KclWorker#operations}), so that one application's refusals are never
 * counted as another's.
 *
 * <p>Not thread-safe; the tests run one at a time on one server.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KclLeastPrivilegeTest {
    static final String ACCOUNT = "111122223333";
    private static final int RECORDS = 2_000;
    /** Longer than the application without UpdateItem can take: 30 s for a refusal, 6 s more, and its shutdown. */
    private static final long NO_UPDATE_ITEM_TIMEOUT_S = 120;
    /** The errors of a request the server refused to authenticate or authorize, in each service's spelling. */
    private static final Set<String> AUTH_ERRORS = Set.of("AccessDeniedException", "AccessDenied",
            "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException",
            "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationToken");
    private static final AwsBasicCredentials ADMIN = AwsBasicCredentials.create("AKIAADMIN0000000001",
            "admin-secret");

    @TempDir
    static Path work;
    private static MillraceProcess server;
    private static KinesisClient admin;
    private static DynamoDbClient adminDynamo;
    /** {@link #runWithoutUpdateItem}, started by {@link #start}. */
    private static CompletableFuture<Void> noUpdateItemRun;

    @BeforeAll
    static void start() throws IOException {
        String orders = readmePolicy("orders-app");
        String producer = readmePolicy("producer");
        String noUpdateItem = orders.replace("\"dynamodb:UpdateItem\", ", "");
        assertThat(noUpdateItem).as("the README's orders-app policy allows dynamodb:UpdateItem").isNotEqualTo(orders);
        List<String> identities = new ArrayList<>();
        identities.add(identity("admin", ADMIN, "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                + "\"Action\": \"*\", \"Resource\": \"*\"}]}"));
        for (String app : List.of("polling", "fanout", "noupdate")) {
            String policy = app.equals("noupdate") ? noUpdateItem : orders;
            identities.add(identity(app + "-app", keys(app + "-app"), adapt(policy, app)));
            identities.add(identity(app + "-producer", keys(app + "-producer"), adapt(producer, app)));
        }
        Path file = work.resolve("identities.json");
        Files.writeString(file, "{\"identities\": [\n" + String.join(",\n", identities) + "\n]}");
        server = MillraceProcess.start(work.resolve("data"), "--auth", "sigv4", "--identities", file.toString());
        admin = SecurityTest.kinesisAt(server.endpoint(), StaticCredentialsProvider.create(ADMIN));
        adminDynamo = DynamoDbClient.builder().endpointOverride(server.endpoint()).region(Clients.REGION)
                .credentialsProvider(StaticCredentialsProvider.create(ADMIN))
                .httpClient(UrlConnectionHttpClient.create()).build();
        // A thread of its own: it blocks for ~25 s, which a shared pool's thread should not.
        noUpdateItemRun = CompletableFuture.runAsync(KclLeastPrivilegeTest::runWithoutUpdateItem,
                task -> new Thread(task, "noupdate-app").start());
    }

    @AfterAll
    static void stop() throws Exception {
        if (noUpdateItemRun != null) {
            // Ended before the server is: when its test was not run, its outcome is nobody's, but its worker is ours.
            noUpdateItemRun.exceptionally(e -> null).get(NO_UPDATE_ITEM_TIMEOUT_S, TimeUnit.SECONDS);
        }
        if (admin != null) {
            admin.close();
            adminDynamo.close();
        }
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    /** Both at once: each takes ~25 s, mostly KCL's start, which two applications may spend together. */
    @Test
    @Order(1)
    void aPollingAppAndAFanOutAppProcessEveryRecordWithTheReadmePolicy() {
        CompletableFuture<Map<String, Integer>> polling = CompletableFuture.supplyAsync(
                () -> processEveryRecord("polling", Retrieval.POLLING));
        Map<String, Integer> made = new TreeMap<>(processEveryRecord("fanout", Retrieval.FAN_OUT));
        polling.join().forEach((call, n) -> made.merge(call, n, Integer::sum));
        System.out.printf("KCL calls: %s%n", made);
        assertThat(made.keySet().stream().filter(call -> AUTH_ERRORS.contains(call.substring(call.indexOf('!') + 1))))
                .as("calls the server refused").isEmpty();
        assertThat(made).as("calls made").containsKeys("Kinesis.GetRecords", "Kinesis.RegisterStreamConsumer",
                "Kinesis.SubscribeToShard", "CloudWatch.PutMetricData", "DynamoDb.UpdateItem");
    }

    /** Second, so that the application it waits for runs while the first test's do. */
    @Test
    @Order(2)
    void withoutUpdateItemKclTakesNoLease() throws Exception {
        try {
            noUpdateItemRun.get(NO_UPDATE_ITEM_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /** The application whose identity lacks {@code dynamodb:UpdateItem}: refused it, it takes no lease. */
    private static void runWithoutUpdateItem() {
        String stream = streamOf("noupdate");
        Streams.createActive(admin, stream, 2);
        Path journal = KclHarness.logs(stream).resolve("worker-1.journal");
        try (KinesisClient producerClient = kinesis("noupdate-producer");
             KclWorker worker = KclWorker.start(app("noupdate", Retrieval.POLLING), "worker-1", journal)) {
            new Producer(producerClient, stream).put(0, 100, 0);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> worker.operations().getOrDefault("DynamoDb.UpdateItem!AccessDeniedException", 0) > 0);
            // KCL retries; a few more of its lease passes (every 2 s) must not get a lease or a record through.
            Thread.sleep(6_000);
            assertThat(KclHarness.processed(KclJournal.read(List.of(journal)))).as("records processed").isEmpty();
            Map<String, String> owners = new TreeMap<>();
            KclHarness.leases(adminDynamo, appOf("noupdate"))
                    .forEach((k, item) -> owners.put(k, KclHarness.attribute(item, "leaseOwner")));
            assertThat(owners.values()).as("lease owners").allMatch(owner -> owner == null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs one worker of {@code name}'s application until every record is processed and checkpointed; returns the
     * calls it made.
     */
    private static Map<String, Integer> processEveryRecord(String name, Retrieval retrieval) {
        String stream = streamOf(name);
        Streams.createActive(admin, stream, 2);
        Path journal = KclHarness.logs(stream).resolve("worker-1.journal");
        try (KinesisClient producerClient = kinesis(name + "-producer");
             KclWorker worker = KclWorker.start(app(name, retrieval), "worker-1", journal)) {
            Producer producer = new Producer(producerClient, stream);
            producer.put(0, RECORDS, 0);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> KclHarness.allProcessed(producer, RECORDS, List.of(journal)));
            Map<String, String> last = producer.lastSequenceNumbers();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .until(() -> KclHarness.checkpoints(adminDynamo, appOf(name)).equals(last));
            worker.shutdown();
            KclHarness.assertEveryRecordProcessedAtLeastOnce(KclJournal.read(List.of(journal)), producer.puts());
            return worker.operations();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String streamOf(String name) {
        return name + "-orders";
    }

    private static String appOf(String name) {
        return name + "-app";
    }

    private static App app(String name, Retrieval retrieval) {
        return new App(server.endpoint(), streamOf(name), appOf(name), retrieval, true, keys(appOf(name)));
    }

    private static KinesisClient kinesis(String identity) {
        return SecurityTest.kinesisAt(server.endpoint(), StaticCredentialsProvider.create(keys(identity)));
    }

    /** A key of 20 characters, as AWS's, made from the identity's name; the secret is the name's too. */
    static AwsBasicCredentials keys(String identity) {
        String id = ("AKIA" + identity.replaceAll("[^A-Za-z0-9]", "").toUpperCase(java.util.Locale.ROOT)
                + "0000000000000000").substring(0, 20);
        return AwsBasicCredentials.create(id, identity + "-secret");
    }

    static String identity(String name, AwsBasicCredentials keys, String policy) {
        return "{\"name\": \"" + name + "\", \"accountId\": \"" + ACCOUNT + "\", \"accessKeyId\": \""
                + keys.accessKeyId() + "\", \"secretAccessKey\": \"" + keys.secretAccessKey() + "\", \"policy\": "
                + policy + "}";
    }

    /**
     * The README's policy for {@code orders} and {@code orders-app} made the application {@code name}'s: its stream
     * and its tables, nothing else changed.
     */
    static String adapt(String readmePolicy, String name) {
        String adapted = readmePolicy.replace(":table/orders-app", ":table/" + appOf(name))
                .replace(":stream/orders", ":stream/" + streamOf(name));
        assertThat(adapted).doesNotContain("orders-app", "stream/orders/", "stream/orders\"");
        return adapted;
    }

    /** The {@code "policy"} object of identity {@code name} in the README's example identities file. */
    static String readmePolicy(String name) throws IOException {
        String readme = Files.readString(MillraceProcess.repo().resolve("README.md"));
        int identity = readme.indexOf("{\"name\": \"" + name + "\"", readme.indexOf("## Running on a network"));
        assertThat(identity).as("identity %s in README.md", name).isPositive();
        int start = readme.indexOf('{', readme.indexOf("\"policy\":", identity));
        int depth = 0;
        for (int i = start; i < readme.length(); i++) {
            char c = readme.charAt(i);
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            if (depth == 0) {
                return readme.substring(start, i + 1);
            }
        }
        throw new AssertionError("the policy of " + name + " in README.md never closes");
    }
}
