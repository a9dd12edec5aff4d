package dev.millrace.lambda.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.millrace.channels.delivery.ShardSource;
import dev.millrace.channels.s3.LocalFilesDestination;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.lambda.LambdaApi;
import dev.millrace.lambda.StreamLookup;
import dev.millrace.lambda.failure.InvocationRecords;
import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.protocol.Account;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.embedded.EmbeddedStorage;
import dev.millrace.storage.log.DurabilityPolicy;
import dev.millrace.storage.log.LogConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine between its timed polls, with a poll interval far longer than the tests wait: a shard's next batch goes
 * when the previous one ends, and an append to an idle shard is invoked at once ({@link TickWakeup}). Real shard logs
 * (the embedded engine) and a real HTTP function, as {@link MappingEngineTest}.
 */
class MappingEngineWakeupTest {

    private static final Account ACCOUNT = new Account("eu-west-1", "123456789012");
    private static final String STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
    private static final long CREATED_MS = 1_700_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Polls 10 s apart: the engine's first poll comes at its start, the next one after every assertion's bound. */
    private static final long POLL_INTERVAL_MS = 10_000;

    @TempDir
    Path dir;
    EmbeddedStorage storage;
    ShardLog log;
    HttpServer function;
    /** Per invocation, the records' data in the order the function saw them. */
    final List<List<String>> invocations = new CopyOnWriteArrayList<>();
    /** When the function saw each record (System.nanoTime), by data. */
    final Map<String, Long> seenAtNs = new java.util.concurrent.ConcurrentHashMap<>();
    LambdaApi api;
    MappingEngine engine;

    @BeforeEach
    void setUp() throws IOException {
        storage = EmbeddedStorage.open(LogConfig.defaults(dir.resolve("data"))
                .withDurability(DurabilityPolicy.INTERVAL, 20), Clock.systemUTC());
        log = storage.logs().openOrCreate("orders-0");
        function = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        function.createContext("/fn", exchange -> {
            try (exchange) {
                List<String> batch = new ArrayList<>();
                for (JsonNode record : JSON.readTree(exchange.getRequestBody().readAllBytes()).get("Records")) {
                    String data = new String(Base64.getDecoder().decode(record.at("/kinesis/data").asText()),
                            StandardCharsets.UTF_8);
                    seenAtNs.putIfAbsent(data, System.nanoTime());
                    batch.add(data);
                }
                invocations.add(batch);
                byte[] body = "null".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        function.setExecutor(Executors.newCachedThreadPool());
        function.start();
        FunctionRegistry functions = FunctionRegistry.parse(List.of("fn=http://127.0.0.1:"
                + function.getAddress().getPort() + "/fn"));
        api = new LambdaApi(storage.metadata(), Clock.systemUTC(), ACCOUNT, functions, streams());
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
        function.stop(0);
        storage.close();
    }

    private static StreamLookup streams() {
        return new StreamLookup() {
            @Override
            public OptionalLong streamCreatedMs(String streamArn) {
                return streamArn.equals(STREAM) ? OptionalLong.of(CREATED_MS) : OptionalLong.empty();
            }

            @Override
            public Optional<String> consumerStream(String consumerArn) {
                return Optional.empty();
            }
        };
    }

    private void startEngine() {
        ShardSource.Shard shard = new ShardSource.Shard("shardId-000000000000", null, null, false, log,
                (position, arrivalMs) -> String.format("49590000%048d", position));
        ShardSource source = (arn, createdMs) -> arn.equals(STREAM) ? List.of(shard) : List.of();
        FailureDestinations failures = new FailureDestinations(new LocalFilesDestination(dir.resolve("objects")),
                (arn, key, data) -> {
                }, dir.resolve("staging"), new InvocationRecords(Clock.systemUTC()));
        MappingEngine.Options options = new MappingEngine.Options(POLL_INTERVAL_MS, 4, Duration.ofSeconds(2),
                Duration.ofSeconds(10), 10, 50);
        engine = new MappingEngine(new MappingStore(storage.metadata(), Clock.systemUTC()), storage.metadata(),
                source, streams(), FunctionRegistry.parse(List.of("fn=http://127.0.0.1:"
                        + function.getAddress().getPort() + "/fn")), failures, new MappingListener() {
                }, options, Clock.systemUTC(), ACCOUNT.region(), ACCOUNT.id(), () -> true);
        engine.start();
    }

    private String create(String extra) throws IOException {
        LambdaApi.Result result = api.handle("POST", "/2015-03-31/event-source-mappings", Map.of(),
                ("{\"FunctionName\":\"fn\",\"EventSourceArn\":\"" + STREAM + "\"" + extra + "}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(result.httpStatus()).as(new String(result.body(), StandardCharsets.UTF_8)).isEqualTo(202);
        return JSON.readTree(result.body()).get("UUID").asText();
    }

    private String state(String uuid) throws IOException {
        return JSON.readTree(api.handle("GET", "/2015-03-31/event-source-mappings/" + uuid, Map.of(), null).body())
                .get("State").asText();
    }

    private void put(String... payloads) {
        List<AppendRecord> records = new ArrayList<>();
        for (String payload : payloads) {
            records.add(AppendRecord.of("k", payload));
        }
        log.append(records);
    }

    private List<String> seen() {
        return invocations.stream().flatMap(List::stream).toList();
    }

    private static String[] numbered(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toArray(String[]::new);
    }

    @Test
    void aBacklogOfTwentyBatchesDrainsWithinOnePollIntervalEachBatchSentAsThePreviousEnds() throws Exception {
        // ParallelizationFactor 1: one batch of the shard at a time. Sent only at polls, the 20 batches would take
        // 20 poll intervals (200 s); the only poll within the bound is the engine's first (and one for the change
        // of LastProcessingResult).
        String[] records = numbered("r-", 200);
        put(records);
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":10");
        long startNs = System.nanoTime();
        startEngine();
        await().atMost(Duration.ofMillis(POLL_INTERVAL_MS - 1_000)).until(() -> seen().size() >= records.length);
        assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofMillis(POLL_INTERVAL_MS));
        assertThat(seen()).containsExactly(records);
        assertThat(invocations).hasSize(20).allSatisfy(batch -> assertThat(batch).hasSize(10));
    }

    @Test
    void aRecordPutIntoAnIdleShardIsInvokedWithoutWaitingForThePoll() throws Exception {
        String uuid = create(",\"StartingPosition\":\"LATEST\",\"BatchSize\":10");
        startEngine();
        await().atMost(Duration.ofSeconds(5)).until(() -> state(uuid).equals("Enabled"));
        // The settle's change poll starts the shard's worker; after it, polls are 10 s apart.
        Thread.sleep(500);
        for (int i = 0; i < 3; i++) {
            long putNs = System.nanoTime();
            put("idle-" + i);
            String data = "idle-" + i;
            await().atMost(Duration.ofSeconds(3)).until(() -> seenAtNs.containsKey(data));
            assertThat(Duration.ofNanos(seenAtNs.get(data) - putNs)).isLessThan(Duration.ofSeconds(3));
            Thread.sleep(200);
        }
        assertThat(seen()).containsExactly("idle-0", "idle-1", "idle-2");
    }
}
