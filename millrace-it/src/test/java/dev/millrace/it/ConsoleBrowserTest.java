package dev.millrace.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.CloudWatchException;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The web console ({@code /console/}, built by millrace-console into millrace.jar) used in a real browser: Debian's
 * headless Chromium driven by playwright-core ({@code src/test/js/console/console-in-chromium.mjs}) creates a stream
 * with the console's form, starts the live tail, puts a record with the put form and sees it in the tail, splits the
 * shard with the shard map's button and sees the lineage drawn (an edge from the parent to each child in the SVG),
 * then puts a second record that the tail shows from a child shard, and a KPL aggregated record (typed in hex) whose
 * user records the tail shows one by one. Before that, right after the stream is created, its metrics panel must say
 * "no data yet" without an error; the test then publishes data points about the stream with PutMetricData (in a
 * namespace of its own: AWS/ namespaces are refused, on AWS as here) and the panel must chart exactly those points
 * (the uPlot series read back from the page). After the tail's records, the page shows them as hex and as JSON,
 * merges the split's children, reshards with UpdateShardCount, raises and lowers the retention, registers two
 * consumers and deregisters one, and switches the stream to on-demand. No call the page makes may fail, and its
 * console must stay free of errors. What the console did is then checked with the AWS SDK for Java: the stream, the
 * split, the merge, the reshard, the retention, the mode, the consumer and the records are really on the server. The
 * screenshots of the run are
 * kept in {@code target/console-screenshots/}. Against a server run with {@code --auth sigv4}, the console must ask
 * for keys when its placeholder keys are refused, then list the streams with calls signed by the keys given, which it
 * keeps in the tab's session storage only. Its KCL page finds a lease table among DynamoDB's tables and shows the
 * lease's owner and checkpoint, and the lag measured at that checkpoint. The page's assets, followed from
 * {@code index.html} through every chunk's references to the chunks loaded later, are each served by the server
 * itself with their type and a cache for good, and gzipped to a client that accepts it; the page itself is
 * revalidated. A part of the page whose chunk cannot be loaded (the server answers 404 for it, as after an upgrade
 * while the page was open) says so in its place, the rest of the page working, and comes back with a reload.
 *
 * <p>A missing Chromium fails the test (it does not skip it): {@code ./verify} installs it as root.
 */
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String PARENT = "shardId-000000000000";
    private static final List<String> CHILDREN = List.of("shardId-000000000001", "shardId-000000000002");
    private static final String MERGED = "shardId-000000000003";
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};
    private static final String ACCOUNT = "123456789012";
    private static final String KEY_ID = "AKIACONSOLE00000001";
    private static final String SECRET = "console-operator-secret";
    private static final String NAMESPACE = "ConsoleTest";
    private static final List<Double> PUBLISHED_VALUES = List.of(3.0, 5.0, 8.0);

    @TempDir
    static Path work;
    private static MillraceProcess server;
    private static Path screenshots;

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException(
                    "/usr/bin/chromium is missing: apt-get install -y chromium (./verify does, as root)");
        }
        ExternalCommand.installJsDir(work, "console", "console-in-chromium.mjs");
        screenshots = Path.of(System.getProperty("millrace.it.logs")).resolveSibling("console-screenshots");
        Files.createDirectories(screenshots);
        try (var old = Files.list(screenshots)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        server = MillraceProcess.start(work.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void theConsoleCreatesAStreamPutsARecordTailsItAndDrawsTheLineageOfASplit() throws Exception {
        String stream = "console-" + UUID.randomUUID().toString().substring(0, 8);
        String first = "before the split " + UUID.randomUUID();
        String second = "after the split " + UUID.randomUUID();
        String jsonMarker = UUID.randomUUID().toString();
        String json = "{\"console\":\"" + jsonMarker + "\",\"qty\":2}";
        String consoleUrl = server.endpoint() + "/console/";

        List<String> kplUsers = List.of("kpl user one " + UUID.randomUUID(), "kpl user two " + UUID.randomUUID());
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        List<Instant> published = List.of(minute.minus(3, ChronoUnit.MINUTES), minute.minus(2, ChronoUnit.MINUTES),
                minute.minus(1, ChronoUnit.MINUTES));
        JsonNode out;
        try (CloudWatchClient cloudWatch = CloudWatchClient.builder().endpointOverride(server.endpoint())
                .region(Clients.REGION).credentialsProvider(Clients.CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            CompletableFuture<JsonNode> browser = CompletableFuture.supplyAsync(() -> {
                try {
                    return inBrowser("tour", consoleUrl, stream, first, second, json, HexFormat.of().formatHex(
                            kplAggregated("pk", kplUsers)), kplUsers.get(0), kplUsers.get(1));
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            // Once the page has shown its empty metrics panel: data points about the stream, in a namespace of the
            // test's own (AWS keeps AWS/ namespaces for its services, and so does Millrace).
            Awaitility.await("the console's empty metrics panel").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Files.exists(work.resolve("metrics-waiting")) || browser.isDone());
            assertThatThrownBy(() -> cloudWatch.putMetricData(b -> b.namespace("AWS/Kinesis").metricData(
                    d -> d.metricName("IncomingRecords").value(1.0))))
                    .isInstanceOfSatisfying(CloudWatchException.class, e -> assertThat(e.awsErrorDetails()
                            .errorCode()).isEqualTo("InvalidParameterValue"));
            List<MetricDatum> data = new ArrayList<>();
            for (int i = 0; i < published.size(); i++) {
                data.add(MetricDatum.builder().metricName("OrdersPlaced").unit(StandardUnit.COUNT)
                        .timestamp(published.get(i)).value(PUBLISHED_VALUES.get(i))
                        .dimensions(Dimension.builder().name("StreamName").value(stream).build()).build());
            }
            // Per shard: not a stream-level metric, so not charted on the stream's page.
            data.add(MetricDatum.builder().metricName("OrdersPerShard").unit(StandardUnit.COUNT)
                    .timestamp(published.get(0)).value(1.0).dimensions(
                            Dimension.builder().name("StreamName").value(stream).build(),
                            Dimension.builder().name("ShardId").value(PARENT).build()).build());
            cloudWatch.putMetricData(b -> b.namespace(NAMESPACE).metricData(data));
            Files.writeString(work.resolve("metrics-published"), NAMESPACE);
            out = browser.join();
        }

        assertThat(list(out.get("failedCalls"))).as("no call failed: %s", out.get("failedCalls")).isEmpty();
        assertThat(list(out.get("console"))).as("no error in the page's console: %s", out.get("console")).isEmpty();
        JsonNode empty = out.get("metricsEmpty");
        assertThat(empty.get("state").asText()).isEqualTo("empty");
        assertThat(list(empty.get("alerts"))).as("no error in the metrics panel").isEmpty();
        assertThat(list(empty.get("charts"))).as("Kinesis's stream metrics, none with a point yet")
                .allSatisfy(c -> assertThat(c.get("timestamps").size() + c.get("drawn").asInt()).isZero())
                .extracting(c -> c.get("name").asText()).contains("IncomingRecords", "IncomingBytes");
        assertThat(list(out.get("charts"))).as("the published namespace's stream-level metric, drawn")
                .singleElement().satisfies(c -> {
                    assertThat(c.get("name").asText()).isEqualTo("OrdersPlaced");
                    assertThat(list(c.get("timestamps"))).extracting(JsonNode::asLong).containsExactlyElementsOf(
                            published.stream().map(Instant::getEpochSecond).toList());
                    assertThat(list(c.get("values"))).extracting(JsonNode::asDouble)
                            .containsExactlyElementsOf(PUBLISHED_VALUES);
                    assertThat(c.get("drawn").asInt()).as("points uPlot holds").isEqualTo(published.size());
                    assertThat(c.get("canvas").asBoolean()).isTrue();
                });

        List<JsonNode> edges = list(out.get("edges"));
        assertThat(edges).extracting(e -> e.get("parent").asText(), e -> e.get("child").asText())
                .as("the lineage drawn").containsExactlyInAnyOrder(tuple(PARENT, CHILDREN.get(0)),
                        tuple(PARENT, CHILDREN.get(1)));
        Map<String, Boolean> nodes = list(out.get("nodes")).stream().collect(Collectors.toMap(
                n -> n.get("id").asText(), n -> n.get("open").asBoolean()));
        assertThat(nodes).containsExactlyInAnyOrderEntriesOf(Map.of(PARENT, false, CHILDREN.get(0), true,
                CHILDREN.get(1), true));

        List<JsonNode> tail = list(out.get("tail"));
        assertThat(tail).filteredOn(t -> t.get("data").asText().equals(first))
                .as("the first record, once, from the parent").singleElement()
                .satisfies(t -> assertThat(t.get("shard").asText()).isEqualTo(PARENT));
        assertThat(tail).filteredOn(t -> t.get("data").asText().equals(second))
                .as("the second record, once, from a child").singleElement()
                .satisfies(t -> assertThat(t.get("shard").asText()).isIn(CHILDREN));

        for (int i = 0; i < kplUsers.size(); i++) {
            String user = kplUsers.get(i);
            String subSequence = Integer.toString(i);
            assertThat(tail).filteredOn(t -> t.get("data").asText().equals(user))
                    .as("KPL user record %s, de-aggregated", i).singleElement()
                    .satisfies(t -> assertThat(t.get("subSequence").asText()).isEqualTo(subSequence));
        }

        // What the page showed is what the server holds.
        try (KinesisClient kinesis = Clients.syncRetrying(server.endpoint(), 3)) {
            List<Shard> shards = kinesis.listShards(b -> b.streamName(stream)).shards();
            // The split, then the merge of its children, then UpdateShardCount's split of the merged shard.
            assertThat(shards).extracting(Shard::shardId, Shard::parentShardId).containsExactlyInAnyOrder(
                    tuple(PARENT, null), tuple(CHILDREN.get(0), PARENT), tuple(CHILDREN.get(1), PARENT),
                    tuple(MERGED, CHILDREN.get(0)), tuple("shardId-000000000004", MERGED),
                    tuple("shardId-000000000005", MERGED));
            List<String> data = new ArrayList<>();
            for (Shard shard : shards) {
                String iterator = kinesis.getShardIterator(b -> b.streamName(stream).shardId(shard.shardId())
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
                for (Record rec : kinesis.getRecords(b -> b.shardIterator(iterator)).records()) {
                    // Leniently: the KPL record is not UTF-8.
                    data.add(new String(rec.data().asByteArray(), StandardCharsets.UTF_8));
                }
            }
            assertThat(data).hasSize(4).contains(first, second, json);
        }
        assertTailFormats(out.get("formats"), first, json, jsonMarker);
        assertSettingsHappened(out, stream);

        for (String name : List.of("01-streams", "01b-metrics-no-data-yet", "01c-metrics-charted", "02-record-in-tail",
                "03-lineage-after-split", "04-tail-after-split", "04b-kpl-record-in-tail", "04c-tail-as-json",
                "08-lineage-after-merge", "09-consumers", "10-on-demand")) {
            Path png = screenshots.resolve(name + ".png");
            assertThat(png).as("screenshot %s", name).isRegularFile();
            try (InputStream in = Files.newInputStream(png)) {
                assertThat(in.readNBytes(PNG_MAGIC.length)).isEqualTo(PNG_MAGIC);
            }
            assertThat(Files.size(png)).isGreaterThan(5_000);
        }
    }

    /** The tail shown as hex (every record's bytes), then as JSON (the JSON record indented, the others said not). */
    private static void assertTailFormats(JsonNode formats, String first, String json, String jsonMarker) {
        assertThat(texts(formats.get("hex"))).as("the tail as hex")
                .contains(HexFormat.ofDelimiter(" ").formatHex(first.getBytes(StandardCharsets.UTF_8)))
                .contains(HexFormat.ofDelimiter(" ").formatHex(json.getBytes(StandardCharsets.UTF_8)))
                .noneMatch(t -> t.contains(jsonMarker));
        assertThat(texts(formats.get("json"))).as("the tail as JSON")
                .contains("{\n  \"console\": \"" + jsonMarker + "\",\n  \"qty\": 2\n}")
                .contains("(not JSON) " + first);
    }

    /** The merge, reshard, retention, consumers and mode the page showed, as the server holds them. */
    private static void assertSettingsHappened(JsonNode out, String stream) {
        assertThat(list(out.get("edgesAfterMerge"))).extracting(e -> e.get("parent").asText(),
                e -> e.get("child").asText()).contains(tuple(CHILDREN.get(0), MERGED), tuple(CHILDREN.get(1), MERGED));
        assertThat(texts(out.get("openShards"))).containsExactly("1", "2");
        assertThat(texts(out.get("retention"))).containsExactly("24 hours", "48 hours", "36 hours");
        assertThat(list(out.get("consumers"))).extracting(c -> c.get("name").asText(), c -> c.get("status").asText())
                .containsExactly(tuple("console-kept", "ACTIVE"), tuple("console-gone", "ACTIVE"));
        assertThat(texts(out.get("consumersLeft"))).containsExactly("console-kept");
        assertThat(out.get("mode").asText()).isEqualTo("ON_DEMAND");
        String keptArn = list(out.get("consumers")).get(0).get("arn").asText();
        try (KinesisClient kinesis = Clients.syncRetrying(server.endpoint(), 3)) {
            List<Shard> shards = kinesis.listShards(b -> b.streamName(stream)).shards();
            assertThat(shards).filteredOn(sh -> sh.shardId().equals(MERGED)).singleElement().satisfies(sh -> {
                assertThat(sh.parentShardId()).isEqualTo(CHILDREN.get(0));
                assertThat(sh.adjacentParentShardId()).isEqualTo(CHILDREN.get(1));
            });
            assertThat(shards).as("UpdateShardCount split the merged shard in two").filteredOn(
                    sh -> sh.sequenceNumberRange().endingSequenceNumber() == null)
                    .hasSize(2).allSatisfy(sh -> assertThat(sh.parentShardId()).isEqualTo(MERGED));
            StreamDescriptionSummary summary = kinesis.describeStreamSummary(b -> b.streamName(stream))
                    .streamDescriptionSummary();
            assertThat(summary.retentionPeriodHours()).isEqualTo(36);
            assertThat(summary.streamModeDetails().streamMode()).isEqualTo(StreamMode.ON_DEMAND);
            assertThat(kinesis.listStreamConsumers(b -> b.streamARN(summary.streamARN())).consumers())
                    .extracting(Consumer::consumerName, Consumer::consumerARN, Consumer::consumerStatusAsString)
                    .containsExactly(tuple("console-kept", keptArn, "ACTIVE"));
        }
    }

    @Test
    void theConsoleIsServedWithItsSecurityHeadersAndAssets() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> bare = http.send(HttpRequest.newBuilder(server.endpoint().resolve("/console")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bare.statusCode()).isEqualTo(301);
        assertThat(bare.headers().firstValue("Location")).hasValue("/console/");

        HttpResponse<String> page = http.send(HttpRequest.newBuilder(server.endpoint().resolve("/console/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("script-src 'self'"));
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
        // The page's assets and, through the references in each chunk (static imports, dynamic imports' preload
        // lists), every chunk loaded later: each from this server, with its type, cacheable for good (hashed names),
        // and gzipped when asked (Chromium asks, so the browser tests load them so).
        Pattern reference = Pattern.compile("[\"'`]\\./(?:assets/)?([A-Za-z0-9_.-]+\\.(js|css))[\"'`]");
        Deque<String> toFetch = new ArrayDeque<>();
        Set<String> seen = new LinkedHashSet<>();
        reference.matcher(page.body()).results().forEach(m -> toFetch.add(m.group(1)));
        long totalBytes = 0;
        while (!toFetch.isEmpty()) {
            String name = toFetch.pop();
            if (!seen.add(name)) {
                continue;
            }
            HttpResponse<byte[]> asset = http.send(HttpRequest.newBuilder(server.endpoint().resolve("/console/assets/"
                    + name)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(asset.statusCode()).as(name).isEqualTo(200);
            assertThat(asset.headers().firstValue("Content-Type")).as(name).hasValue(name.endsWith(".js")
                    ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
            assertThat(asset.headers().firstValue("Cache-Control")).as(name).hasValueSatisfying(
                    c -> assertThat(c).contains("immutable"));
            totalBytes += asset.body().length;
            HttpResponse<byte[]> gzipped = http.send(HttpRequest.newBuilder(server.endpoint().resolve(
                    "/console/assets/" + name)).header("Accept-Encoding", "gzip").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (asset.body().length > 1000) { // smaller ones are sent as they are when gzip does not help
                assertThat(gzipped.headers().firstValue("Content-Encoding")).as(name).hasValue("gzip");
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
                    assertThat(in.readAllBytes()).as(name).isEqualTo(asset.body());
                }
            }
            if (name.endsWith(".js")) {
                reference.matcher(new String(asset.body(), StandardCharsets.UTF_8)).results()
                        .forEach(m -> toFetch.add(m.group(1)));
            }
        }
        assertThat(seen).as("the page's entry, its vendor chunks and those loaded later")
                .anyMatch(n -> n.startsWith("index-") && n.endsWith(".js"))
                .anyMatch(n -> n.startsWith("StreamPage-")).anyMatch(n -> n.startsWith("kpl-decoding-"))
                .anyMatch(n -> n.endsWith(".css"));
        assertThat(totalBytes).as("no CDN: React and the SDK are among the console's own assets")
                .isGreaterThan(300_000);
    }

    @Test
    void theConsoleFindsAKclApplicationsLeasesAndMeasuresTheLagAtItsCheckpoint() throws Exception {
        String stream = "kcl-orders";
        String checkpoint;
        try (KinesisClient kinesis = Clients.syncRetrying(server.endpoint(), 3);
             DynamoDbClient dynamo = DynamoDbClient.builder().endpointOverride(server.endpoint())
                     .region(Clients.REGION).credentialsProvider(Clients.CREDENTIALS)
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            Streams.createActive(kinesis, stream, 1);
            checkpoint = kinesis.putRecord(b -> b.streamName(stream).partitionKey("k")
                    .data(SdkBytes.fromUtf8String("processed"))).sequenceNumber();
            kinesis.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String("waiting")));
            // A lease table as KCL makes it (keyed by leaseKey), and a table of something else beside it.
            dynamo.createTable(b -> b.tableName("orders-app").billingMode(BillingMode.PAY_PER_REQUEST)
                    .keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S)));
            dynamo.createTable(b -> b.tableName("not-leases").billingMode(BillingMode.PAY_PER_REQUEST)
                    .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S)));
            dynamo.putItem(b -> b.tableName("orders-app").item(Map.of(
                    "leaseKey", AttributeValue.fromS(PARENT), "leaseOwner", AttributeValue.fromS("worker-a"),
                    "leaseCounter", AttributeValue.fromN("7"), "checkpoint", AttributeValue.fromS(checkpoint),
                    "checkpointSubSequenceNumber", AttributeValue.fromN("0"))));
            dynamo.putItem(b -> b.tableName("not-leases").item(Map.of("id", AttributeValue.fromS("x"))));
        }

        JsonNode out = inBrowser("kcl", server.endpoint() + "/console/", "orders-app", stream);
        assertThat(texts(out.get("apps"))).as("only the lease table").containsExactly("orders-app");
        assertThat(list(out.get("leases"))).singleElement().satisfies(lease -> {
            assertThat(lease.get("key").asText()).isEqualTo(PARENT);
            assertThat(lease.get("owner").asText()).isEqualTo("worker-a");
            assertThat(lease.get("checkpoint").asText()).isEqualTo(checkpoint);
            assertThat(lease.get("lag").asText()).as("a record lies after the checkpoint")
                    .matches("\\d+ ms behind \\(the oldest unprocessed record's age\\)");
            long ageMs = Long.parseLong(lease.get("lag").asText().split(" ")[0]);
            assertThat(ageMs).as("the record put before the browser started").isPositive()
                    .isLessThan(Duration.ofMinutes(5).toMillis());
        });
    }

    @Test
    void withSignaturesCheckedTheConsoleAsksForKeysAndSignsWithThem() throws Exception {
        Path identities = work.resolve("identities.json");
        Files.writeString(identities, "{\"identities\": [{\"name\": \"operator\", \"accountId\": \""
                + ACCOUNT + "\", \"accessKeyId\": \"" + KEY_ID + "\", \"secretAccessKey\": \"" + SECRET
                + "\", \"policy\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                + "\"Action\": \"*\", \"Resource\": \"*\"}]}}]}");
        try (MillraceProcess signed = MillraceProcess.start(work.resolve("signed-data"), "--auth", "sigv4",
                "--identities", identities.toString());
             KinesisClient kinesis = KinesisClient.builder().endpointOverride(signed.endpoint())
                     .region(Clients.REGION).httpClient(UrlConnectionHttpClient.create())
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY_ID,
                             SECRET))).build()) {
            Streams.createActive(kinesis, "signed-orders", 1);
            JsonNode out = inBrowser("keys", signed.endpoint() + "/console/", KEY_ID, SECRET, "signed-orders");
            assertThat(texts(out.get("streams"))).containsExactly("signed-orders");
            assertThat(out.get("storage").get("session").asText()).as("the keys are in the tab's session")
                    .contains(SECRET);
            assertThat(out.get("storage").get("local").asText()).as("and nowhere that outlives it")
                    .doesNotContain(SECRET).doesNotContain(KEY_ID);
            assertThat(signed.stop()).isZero();
        }
        assertThat(screenshots.resolve("05-asks-for-keys.png")).isRegularFile();
        assertThat(screenshots.resolve("06-signed-in.png")).isRegularFile();
    }

    @Test
    void aPartOfThePageWhoseChunkCannotBeLoadedSaysSoAndTheRestWorks() throws Exception {
        String stream = "console-chunks";
        try (KinesisClient kinesis = Clients.syncRetrying(server.endpoint(), 3)) {
            Streams.createActive(kinesis, stream, 1);
        }
        JsonNode out = inBrowser("missing-chunk", server.endpoint() + "/console/", stream);
        assertThat(out.path("partFailed").asText()).startsWith("The metrics could not be shown:")
                .contains("Reload the page");
        assertThat(out.path("metricsAfterReload").asText()).isIn("loading", "empty", "data");
    }

    /**
     * A KPL aggregated record of {@code users} under one partition key: the magic, the protobuf AggregatedRecord
     * (partition_key_table = 1, records = 3 of {partition_key_index = 1, data = 3}) and the MD5 of the protobuf.
     */
    static byte[] kplAggregated(String partitionKey, List<String> users) throws Exception {
        java.io.ByteArrayOutputStream message = new java.io.ByteArrayOutputStream();
        lengthDelimited(message, 1, partitionKey.getBytes(StandardCharsets.UTF_8));
        for (String user : users) {
            java.io.ByteArrayOutputStream rec = new java.io.ByteArrayOutputStream();
            rec.write(1 << 3);
            rec.write(0);
            lengthDelimited(rec, 3, user.getBytes(StandardCharsets.UTF_8));
            lengthDelimited(message, 3, rec.toByteArray());
        }
        byte[] body = message.toByteArray();
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        all.write(new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2});
        all.write(body);
        all.write(MessageDigest.getInstance("MD5").digest(body));
        return all.toByteArray();
    }

    /** A protobuf field of wire type 2; lengths here stay under 128, one varint byte. */
    private static void lengthDelimited(java.io.ByteArrayOutputStream out, int field, byte[] value) {
        assertThat(value.length).isLessThan(128);
        out.write((field << 3) | 2);
        out.write(value.length);
        out.writeBytes(value);
    }

    /** Runs a scenario of console-in-chromium.mjs; its report, once it says every step passed. */
    private static JsonNode inBrowser(String scenario, String consoleUrl, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(node(), "console-in-chromium.mjs", scenario, consoleUrl,
                work.resolve("chromium-profile-" + scenario).toString(), screenshots.toString()));
        command.addAll(List.of(args));
        ExternalCommand.Result r = ExternalCommand.run(command, work, Map.of(), 150);
        String last = r.stdout().strip().lines().reduce((a, b) -> b).orElse("{}");
        JsonNode out = new ObjectMapper().readTree(last);
        assertThat(out.path("state").asText()).as("the console's %s stopped at step '%s': %s; page errors %s; "
                + "stderr %s", scenario, out.path("step").asText(), out.path("error").asText(),
                out.path("console"), r.stderr()).isEqualTo("done");
        assertThat(r.exitCode()).isZero();
        return out;
    }

    private static List<String> texts(JsonNode array) {
        return list(array).stream().map(JsonNode::asText).toList();
    }

    private static String node() {
        return ExternalCommand.require("node", "install Node.js (apt-get install -y nodejs)");
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> all = new ArrayList<>();
        if (array != null) {
            array.forEach(all::add);
        }
        return all;
    }
}
