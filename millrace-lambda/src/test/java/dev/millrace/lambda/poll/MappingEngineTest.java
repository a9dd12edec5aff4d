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
import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.protocol.Account;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.embedded.EmbeddedStorage;
import dev.millrace.storage.log.DurabilityPolicy;
import dev.millrace.storage.log.LogConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine against real shard logs (the embedded engine) and a real HTTP function, as a server runs it. */
class MappingEngineTest {

    static final Account ACCOUNT = new Account("eu-west-1", "123456789012");
    static final String STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
    static final long CREATED_MS = 1_700_000_000_000L;
    static final String FAILURES = "arn:aws:kinesis:eu-west-1:123456789012:stream/failures";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the function saw of one record. */
    record Seen(String shardId, String partitionKey, String data, String sequenceNumber) {
    }

    /** What the function answers: status, X-Amz-Function-Error (or null), body. */
    record Answer(int status, String functionError, String body) {
        static final Answer OK = new Answer(200, null, "null");
    }

    @TempDir
    Path dir;
    EmbeddedStorage storage;
    final List<ShardSource.Shard> shards = new CopyOnWriteArrayList<>();
    HttpServer function;
    final List<List<Seen>> events = new CopyOnWriteArrayList<>();
    final List<JsonNode> rawEvents = new CopyOnWriteArrayList<>();
    /** The batches the function answered without an error (200, no X-Amz-Function-Error). */
    final List<List<Seen>> succeeded = new CopyOnWriteArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    volatile Function<List<Seen>, Answer> behaviour = batch -> Answer.OK;
    /** When set, answers from the whole event instead of {@link #behaviour}. */
    volatile Function<JsonNode, Answer> functionAnswers;
    volatile long functionDelayMs;
    LambdaApi api;
    final List<MappingEngine> engines = new ArrayList<>();
    final Map<String, AtomicInteger> filtered = new ConcurrentHashMap<>();
    /** Records read from the shards (kept or filtered out), over every mapping. */
    final AtomicInteger polled = new AtomicInteger();
    /** When set, the function waits for it before answering. */
    volatile java.util.concurrent.CountDownLatch gate;
    /** When set, runs on the invocation thread after each invocation's answer is read, before its records end. */
    volatile Runnable onInvoked;
    /** How far the engines' wall clock is stepped back (NTP, a VM resume). */
    volatile long clockBackMs;
    final AtomicInteger streamWritesToFail = new AtomicInteger();
    final List<String> streamWrites = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        storage = EmbeddedStorage.open(LogConfig.defaults(dir.resolve("data"))
                .withDurability(DurabilityPolicy.INTERVAL, 20), Clock.systemUTC());
        for (int i = 0; i < 2; i++) {
            addShard(i, null, false);
        }
        function = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        function.createContext("/2015-03-31/functions/function/invocations", exchange -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                byte[] event = exchange.getRequestBody().readAllBytes();
                rawEvents.add(JSON.readTree(event));
                List<Seen> batch = parse(event);
                events.add(batch);
                if (functionDelayMs > 0) {
                    Thread.sleep(functionDelayMs);
                }
                java.util.concurrent.CountDownLatch g = gate;
                if (g != null) {
                    g.await(30, java.util.concurrent.TimeUnit.SECONDS);
                }
                Answer answer = functionAnswers != null ? functionAnswers.apply(JSON.readTree(event))
                        : behaviour.apply(batch);
                if (answer.functionError() != null) {
                    exchange.getResponseHeaders().add("X-Amz-Function-Error", answer.functionError());
                }
                if (answer.status() == 200 && answer.functionError() == null) {
                    succeeded.add(batch);
                }
                byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(answer.status(), body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
                exchange.close();
            }
        });
        function.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        function.start();
        api = new LambdaApi(storage.metadata(), Clock.systemUTC(), ACCOUNT, functions(), streams());
    }

    @AfterEach
    void tearDown() {
        java.util.concurrent.CountDownLatch g = gate;
        if (g != null) {
            g.countDown();
        }
        engines.forEach(MappingEngine::close);
        function.stop(0);
        storage.close();
    }

    private FunctionRegistry functions() {
        // "down": nothing listens on port 1; its invocations are refused (not reached: retried without limit).
        return FunctionRegistry.parse(List.of("fn=http://127.0.0.1:" + function.getAddress().getPort()
                + "/2015-03-31/functions/function/invocations", "down=http://127.0.0.1:1/x"));
    }

    private StreamLookup streams() {
        return new StreamLookup() {
            @Override
            public OptionalLong streamCreatedMs(String streamArn) {
                return streamArn.equals(STREAM) || streamArn.equals(FAILURES) ? OptionalLong.of(CREATED_MS)
                        : OptionalLong.empty();
            }

            @Override
            public Optional<String> consumerStream(String consumerArn) {
                return Optional.empty();
            }
        };
    }

    private ShardSource.Shard addShard(int number, String parent, boolean ended) {
        String shardId = String.format("shardId-%012d", number);
        ShardLog log = storage.logs().openOrCreate("orders-" + number);
        ShardSource.Shard shard = new ShardSource.Shard(shardId, parent, null, ended, log,
                (position, arrivalMs) -> String.format("4959%04d%048d", number, position));
        shards.add(shard);
        return shard;
    }

    private static List<Seen> parse(byte[] event) throws IOException {
        List<Seen> batch = new ArrayList<>();
        for (JsonNode record : JSON.readTree(event).get("Records")) {
            JsonNode kinesis = record.get("kinesis");
            batch.add(new Seen(record.get("eventID").asText().split(":")[0], kinesis.get("partitionKey").asText(),
                    new String(Base64.getDecoder().decode(kinesis.get("data").asText()), StandardCharsets.UTF_8),
                    kinesis.get("sequenceNumber").asText()));
        }
        return batch;
    }

    /** Quick polls and backoffs. */
    static final MappingEngine.Options FAST = new MappingEngine.Options(20, 8, Duration.ofSeconds(2),
            Duration.ofSeconds(10), 10, 50);

    private MappingEngine engine() {
        return engine(FAST);
    }

    private MappingEngine engine(MappingEngine.Options options) {
        return engine(options, storage.metadata());
    }

    /** An engine whose checkpoints go to {@code checkpointStore} (a {@link Fenceable} one plays a crashed node). */
    private MappingEngine engine(MappingEngine.Options options, MetadataStore checkpointStore) {
        ShardSource source = (arn, createdMs) -> arn.equals(STREAM) && createdMs == CREATED_MS
                ? List.copyOf(shards) : List.of();
        MappingListener listener = new MappingListener() {
            @Override
            public void filteredOut(EventSourceMapping mapping, int records) {
                filtered.computeIfAbsent(mapping.uuid(), k -> new AtomicInteger()).addAndGet(records);
            }

            @Override
            public void polled(EventSourceMapping mapping, int records) {
                polled.addAndGet(records);
            }

            @Override
            public void invoked(EventSourceMapping mapping, int records, String outcome, long durationMs,
                                long iteratorAgeMs) {
                Runnable hook = onInvoked;
                if (hook != null) {
                    hook.run();
                }
            }
        };
        FailureDestinations failures = new FailureDestinations(new LocalFilesDestination(dir.resolve("objects")),
                (arn, key, data) -> {
                    if (streamWritesToFail.getAndDecrement() > 0) {
                        throw new IllegalStateException("the destination stream refused the record");
                    }
                    streamWrites.add(arn + " " + key + " " + new String(data, StandardCharsets.UTF_8));
                }, dir.resolve("staging"), new InvocationRecords(Clock.systemUTC()));
        MappingEngine engine = new MappingEngine(new MappingStore(storage.metadata(), Clock.systemUTC()),
                checkpointStore, source, streams(), functions(), failures, listener,
                options, steppedClock(), ACCOUNT.region(), ACCOUNT.id(), () -> true);
        engines.add(engine);
        engine.start();
        return engine;
    }

    /** The system clock, less {@link #clockBackMs}. */
    private Clock steppedClock() {
        return new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return java.time.Instant.ofEpochMilli(millis());
            }

            @Override
            public long millis() {
                return System.currentTimeMillis() - clockBackMs;
            }
        };
    }

    private String create(String extra) {
        LambdaApi.Result result = api.handle("POST", "/2015-03-31/event-source-mappings", Map.of(),
                ("{\"FunctionName\":\"fn\",\"EventSourceArn\":\"" + STREAM + "\"" + extra + "}")
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(result.httpStatus()).as(new String(result.body(), StandardCharsets.UTF_8)).isEqualTo(202);
        try {
            return JSON.readTree(result.body()).get("UUID").asText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode get(String uuid) throws IOException {
        return JSON.readTree(api.handle("GET", "/2015-03-31/event-source-mappings/" + uuid, Map.of(), null).body());
    }

    private void put(int shard, String key, String... payloads) {
        List<AppendRecord> records = new ArrayList<>();
        for (String payload : payloads) {
            records.add(AppendRecord.of(key, payload));
        }
        shards.get(shard).log().append(records);
    }

    private List<Seen> seen() {
        return events.stream().flatMap(List::stream).toList();
    }

    private static String[] numbered(String prefix, int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> prefix + i).toArray(String[]::new);
    }

    @Test
    void everyRecordReachesTheFunctionOnceInShardOrderInBatchesOfBatchSize() throws Exception {
        put(0, "a", numbered("s0-", 25));
        put(1, "b", numbered("s1-", 7));
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":10");
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 32);
        assertThat(seen().stream().filter(s -> s.shardId().equals("shardId-000000000000")).map(Seen::data))
                .containsExactly(numbered("s0-", 25));
        assertThat(seen().stream().filter(s -> s.shardId().equals("shardId-000000000001")).map(Seen::data))
                .containsExactly(numbered("s1-", 7));
        assertThat(events).allSatisfy(batch -> assertThat(batch).hasSizeBetween(1, 10));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode m = get(uuid);
            assertThat(m.get("State").asText()).isEqualTo("Enabled");
            assertThat(m.get("LastProcessingResult").asText()).isEqualTo("OK");
        });
        Thread.sleep(300);
        assertThat(seen()).hasSize(32);
    }

    @Test
    void latestSkipsWhatWasPutBeforeTheMappingWasEnabled() throws Exception {
        put(0, "a", "before-1", "before-2");
        String uuid = create(",\"StartingPosition\":\"LATEST\"");
        engine();
        await().atMost(Duration.ofSeconds(10)).until(() -> get(uuid).get("State").asText().equals("Enabled"));
        put(0, "a", "after-1", "after-2");
        put(1, "b", "after-3");
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 3);
        Thread.sleep(300);
        assertThat(seen()).extracting(Seen::data).containsExactlyInAnyOrder("after-1", "after-2", "after-3");
    }

    @Test
    void aFailingRecordIsIsolatedRetriedThenSentToTheS3FailureDestinationAndTheRestProcessed() throws Exception {
        behaviour = batch -> batch.stream().anyMatch(s -> s.data().equals("poison"))
                ? new Answer(200, "Unhandled", "{\"errorType\":\"Boom\",\"errorMessage\":\"no\"}") : Answer.OK;
        put(0, "a", "r0", "r1", "r2", "poison", "r4", "r5");
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":6,\"MaximumRetryAttempts\":1,"
                + "\"BisectBatchOnFunctionError\":true,\"DestinationConfig\":{\"OnFailure\":{\"Destination\":"
                + "\"arn:aws:s3:::failures\"}}");
        engine();
        Path prefix = dir.resolve("objects/failures/aws/lambda/" + uuid + "/shardId-000000000000");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.isDirectory(prefix) && objects(prefix).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen().stream().anyMatch(s -> s.data().equals("r5")));
        JsonNode record = JSON.readTree(Files.readAllBytes(objects(prefix).get(0)));
        assertThat(record.at("/requestContext/condition").asText()).isEqualTo("RetryAttemptsExhausted");
        assertThat(record.at("/requestContext/approximateInvokeCount").asInt()).isEqualTo(2 + 2);
        assertThat(record.at("/responseContext/functionError").asText()).isEqualTo("Unhandled");
        assertThat(record.at("/KinesisBatchInfo/batchSize").asInt()).isEqualTo(1);
        assertThat(new String(Base64.getDecoder().decode(record.at("/payload/Records/0/kinesis/data").asText()),
                StandardCharsets.UTF_8)).isEqualTo("poison");
        // Everything but the poison record was processed, in order, each once after the splits.
        List<String> processed = events.stream().filter(b -> b.stream().noneMatch(s -> s.data().equals("poison")))
                .flatMap(List::stream).map(Seen::data).toList();
        assertThat(processed).containsExactly("r0", "r1", "r2", "r4", "r5");
    }

    private static List<Path> objects(Path prefix) throws IOException {
        try (Stream<Path> files = Files.walk(prefix)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void aNewEngineResumesFromTheCheckpointTheLastOneCommitted() throws Exception {
        put(0, "a", numbered("first-", 10));
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":4");
        MappingEngine first = engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 10);
        Thread.sleep(200);
        first.close();
        events.clear();
        put(0, "a", numbered("second-", 5));
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 5);
        Thread.sleep(300);
        assertThat(seen()).extracting(Seen::data).containsExactly(numbered("second-", 5));
    }

    @Test
    void filterCriteriaKeepOnlyMatchingRecordsAndCountTheRest() throws Exception {
        put(0, "a", "{\"kind\":\"keep\",\"n\":1}", "{\"kind\":\"drop\"}", "not json", "{\"kind\":\"keep\",\"n\":2}");
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"FilterCriteria\":{\"Filters\":[{\"Pattern\":"
                + "\"{\\\"data\\\":{\\\"kind\\\":[\\\"keep\\\"]}}\"}]}");
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 2
                && filtered.getOrDefault(uuid, new AtomicInteger()).get() >= 2);
        Thread.sleep(300);
        assertThat(seen()).extracting(Seen::data)
                .containsExactly("{\"kind\":\"keep\",\"n\":1}", "{\"kind\":\"keep\",\"n\":2}");
        assertThat(filtered.get(uuid).get()).isEqualTo(2);
    }

    @Test
    void aParallelizationFactorRunsBatchesOfAShardAtOnceKeepingEachKeysOrder() throws Exception {
        functionDelayMs = 30;
        for (int round = 0; round < 10; round++) {
            for (int key = 0; key < 12; key++) {
                put(0, "key-" + key, "key-" + key + ":" + round);
            }
        }
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":5,\"ParallelizationFactor\":4");
        engine();
        await().atMost(Duration.ofSeconds(30)).until(() -> seen().size() >= 120);
        assertThat(seen()).hasSize(120);
        for (int key = 0; key < 12; key++) {
            String k = "key-" + key;
            assertThat(seen().stream().filter(s -> s.partitionKey().equals(k)).map(Seen::data))
                    .containsExactly(java.util.stream.IntStream.range(0, 10).mapToObj(r -> k + ":" + r)
                            .toArray(String[]::new));
        }
        assertThat(maxInFlight.get()).isGreaterThan(1).isLessThanOrEqualTo(4);
    }

    @Test
    void aChildShardIsProcessedOnlyAfterItsParentIsDone() throws Exception {
        functionDelayMs = 20;
        put(0, "a", numbered("parent-", 12));
        shards.set(0, new ShardSource.Shard(shards.get(0).shardId(), null, null, true, shards.get(0).log(),
                shards.get(0).sequenceNumber()));
        shards.get(0).log().seal();
        addShard(2, "shardId-000000000000", false);
        put(2, "a", numbered("child-", 3));
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":3");
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().stream().filter(s -> !s.shardId()
                .equals("shardId-000000000001")).count() >= 15);
        List<String> order = seen().stream().filter(s -> !s.shardId().equals("shardId-000000000001"))
                .map(Seen::data).toList();
        assertThat(order.subList(0, 12)).containsExactly(numbered("parent-", 12));
        assertThat(order.subList(12, 15)).containsExactly(numbered("child-", 3));
    }

    @Test
    void tumblingWindowsCarryTheStateAcrossInvocationsAndEndWithOneFinalInvocation() throws Exception {
        // The function counts the records of its window in its state: {"count": n}.
        behaviour = batch -> Answer.OK;
        functionAnswers = event -> {
            int before = event.at("/state/count").asInt(0);
            return new Answer(200, null, "{\"state\":{\"count\":" + (before + event.get("Records").size()) + "}}");
        };
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":2,"
                + "\"TumblingWindowInSeconds\":1");
        engine();
        put(0, "a", numbered("w-", 5));
        Thread.sleep(1_200);
        put(0, "a", numbered("x-", 3));
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 8
                && rawEvents.stream().filter(e -> e.get("isFinalInvokeForWindow").asBoolean()).count() >= 2);
        Thread.sleep(500);
        assertThat(seen()).extracting(Seen::data).containsExactly(java.util.stream.Stream.concat(
                Stream.of(numbered("w-", 5)), Stream.of(numbered("x-", 3))).toArray(String[]::new));
        Map<String, List<JsonNode>> byWindow = new java.util.LinkedHashMap<>();
        for (JsonNode event : rawEvents) {
            assertThat(event.get("shardId").asText()).isEqualTo("shardId-000000000000");
            assertThat(event.get("eventSourceARN").asText()).isEqualTo(STREAM);
            byWindow.computeIfAbsent(event.at("/window/start").asText(), k -> new ArrayList<>()).add(event);
        }
        int total = 0;
        for (List<JsonNode> invocations : byWindow.values()) {
            int count = 0;
            for (int i = 0; i < invocations.size(); i++) {
                JsonNode event = invocations.get(i);
                assertThat(event.at("/state/count").asInt(0)).as("state carried").isEqualTo(count);
                assertThat(event.get("isFinalInvokeForWindow").asBoolean()).isEqualTo(i == invocations.size() - 1);
                long start = java.time.Instant.parse(event.at("/window/start").asText()).toEpochMilli();
                for (JsonNode record : event.get("Records")) {
                    long arrivalMs = Math.round(record.at("/kinesis/approximateArrivalTimestamp").asDouble() * 1000);
                    assertThat(arrivalMs).isBetween(start, start + 999);
                }
                count += event.get("Records").size();
            }
            total += count;
        }
        assertThat(total).isEqualTo(8);
        assertThat(byWindow).hasSizeGreaterThanOrEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> get(uuid).get("LastProcessingResult").asText().equals("OK"));
    }

    @Test
    void closingTheEngineFromAnInterruptedThreadCommitsTheLastCheckpointsAndLeavesTheStoreUsable() throws Exception {
        put(0, "a", numbered("r-", 3));
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":1");
        String key = MappingCheckpoints.key(uuid, "shardId-000000000000");
        MappingEngine engine = engine();
        // The last batches end within a second of the first commit: their commit is put off, close makes it.
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded.size() >= 3);
        Thread.currentThread().interrupt();
        try {
            engine.close();
            assertThat(Thread.currentThread().isInterrupted()).as("the caller's interrupt is kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        storage.metadata().commit(Map.of("after-close", "still writable".getBytes(StandardCharsets.UTF_8)));
        assertThat(storage.metadata().get("after-close")).isPresent();
        assertThat(new String(storage.metadata().get(key).orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("3");
    }

    @Test
    void aFailureDestinationThatRefusesIsSentAgainWithoutInvokingTheFunctionAgainNorLosingTheRecord()
            throws Exception {
        behaviour = batch -> batch.stream().anyMatch(s -> s.data().equals("poison"))
                ? new Answer(200, "Unhandled", "{}") : Answer.OK;
        streamWritesToFail.set(2);
        put(0, "a", "poison", "after");
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":1,\"MaximumRetryAttempts\":0,"
                + "\"DestinationConfig\":{\"OnFailure\":{\"Destination\":\"" + FAILURES + "\"}}");
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> streamWrites.size() == 1
                && seen().stream().anyMatch(s -> s.data().equals("after")));
        // The invocation record is sent again after each refusal; the function saw the poison record once, and the
        // record after it only once the send succeeded.
        assertThat(seen().stream().filter(s -> s.data().equals("poison"))).hasSize(1);
        assertThat(seen()).extracting(Seen::data).containsExactly("poison", "after");
        assertThat(streamWrites.get(0)).startsWith(FAILURES + " " + uuid + ":shardId-000000000000 ")
                .contains("\"condition\":\"RetryAttemptsExhausted\"");
        assertThat(seen().stream().filter(s -> s.data().equals("after"))).hasSize(1);
    }

    @Test
    void aShardSplitWhileTheMappingRunsFinishesThenItsChildrenGo() throws Exception {
        functionDelayMs = 10;
        put(0, "a", numbered("before-", 6));
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":2");
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 6);
        // A split: the parent's log is sealed and the engine is given a new Shard for it, the children appear.
        put(0, "a", numbered("last-", 2));
        ShardSource.Shard parent = shards.get(0);
        parent.log().seal();
        shards.set(0, new ShardSource.Shard(parent.shardId(), null, null, true, parent.log(),
                parent.sequenceNumber()));
        addShard(3, parent.shardId(), false);
        addShard(4, parent.shardId(), false);
        put(2, "a", numbered("left-", 2)); // shards: 0, 1, 3, 4 (put takes the index)
        put(3, "b", numbered("right-", 2));
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 12);
        List<String> order = seen().stream().map(Seen::data).toList();
        int lastOfParent = Math.max(order.indexOf("last-0"), order.indexOf("last-1"));
        for (String child : List.of("left-0", "left-1", "right-0", "right-1")) {
            assertThat(order.indexOf(child)).as(child).isGreaterThan(lastOfParent);
        }
    }

    @Test
    void closingTheEngineDuringAnInvocationLeavesTheMetadataStoreUsable() throws Exception {
        functionDelayMs = 8_000;
        put(0, "a", "slow");
        create(",\"StartingPosition\":\"TRIM_HORIZON\"");
        MappingEngine engine = engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> inFlight.get() == 1);
        // The invocation outlives the close's grace: it is interrupted. An interrupted thread's write would close the
        // embedded store's file channel for everyone.
        engine.close();
        storage.metadata().commit(Map.of("after-close", "still writable".getBytes(StandardCharsets.UTF_8)));
        assertThat(storage.metadata().get("after-close")).isPresent();
    }

    @Test
    void aMappingWaitingOutRetriesHoldsNoInvocationThread() throws Exception {
        // Two invocation threads; a mapping whose function is down retries 4 lanes with a 60 s backoff. Waiting
        // batches hold no thread, so the other mapping's records go through at once.
        put(0, "a", numbered("x-", 8));
        put(1, "b", numbered("y-", 8));
        LambdaApi.Result down = api.handle("POST", "/2015-03-31/event-source-mappings", Map.of(),
                ("{\"FunctionName\":\"down\",\"EventSourceArn\":\"" + STREAM + "\",\"StartingPosition\":"
                        + "\"TRIM_HORIZON\",\"ParallelizationFactor\":2}").getBytes(StandardCharsets.UTF_8));
        assertThat(down.httpStatus()).isEqualTo(202);
        engine(new MappingEngine.Options(20, 2, Duration.ofSeconds(2), Duration.ofSeconds(10), 60_000, 60_000));
        Thread.sleep(500);
        create(",\"StartingPosition\":\"TRIM_HORIZON\"");
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 16);
    }

    /**
     * The metadata store as a node that crashed sees it: once fenced, its commits fail (nothing it does after that
     * reaches the store), as if its process were gone.
     */
    static final class Fenceable implements MetadataStore {
        final MetadataStore store;
        volatile boolean fenced;
        /** Commits refused since it was fenced. */
        final AtomicInteger refused = new AtomicInteger();

        Fenceable(MetadataStore store) {
            this.store = store;
        }

        @Override
        public Optional<byte[]> get(String key) {
            return store.get(key);
        }

        @Override
        public SortedMap<String, byte[]> scan(String prefix) {
            return store.scan(prefix);
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            check();
            return store.commit(changes);
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            check();
            return store.commitIfVersion(expectedVersion, changes);
        }

        private void check() {
            if (fenced) {
                refused.incrementAndGet();
                throw new IllegalStateException("fenced: this node is gone");
            }
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return store.onCommit(listener);
        }

        @Override
        public long version() {
            return store.version();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aWorkerStoppedByARefusedCommitTriesItsFinalCommitOnceNotOnEveryPollOfItsRestartBackoff() throws Exception {
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":1");
        Fenceable failing = new Fenceable(storage.metadata());
        engine(new MappingEngine.Options(20, 8, Duration.ofSeconds(2), Duration.ofSeconds(10), 5_000, 5_000),
                failing);
        put(0, "a", "r-0");
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded.size() >= 1);
        failing.fenced = true;
        put(0, "a", "s-0");
        await().atMost(Duration.ofSeconds(20)).until(() -> failing.refused.get() >= 1);
        // A second of 20 ms polls within the 5 s backoff: the stopped worker's final commit (refused too), once.
        Thread.sleep(1_000);
        assertThat(failing.refused.get()).isBetween(1, 3);
    }

    @Test
    void aLatestMappingRestartedBeforeAnyResharedChildCommittedSkipsNoneOfTheChildsRecords() throws Exception {
        // S1(b): LATEST fixed each shard's start at creation. The stream is resharded and its parents expire from the
        // list; the child's first batch is retried (the function fails) and nothing of it is committed when the node
        // dies. The next engine must not take "no current shard has a checkpoint" for a new mapping and start the
        // child at its end: its records would be skipped.
        String uuid = create(",\"StartingPosition\":\"LATEST\"");
        Fenceable crashing = new Fenceable(storage.metadata());
        MappingEngine first = engine(FAST, crashing);
        await().atMost(Duration.ofSeconds(10)).until(() -> get(uuid).get("State").asText().equals("Enabled"));
        behaviour = batch -> new Answer(200, "Unhandled", "{}");
        ShardSource.Shard parent = shards.get(0);
        ShardSource.Shard child = new ShardSource.Shard("shardId-000000000002", parent.shardId(), null, false,
                storage.logs().openOrCreate("orders-2"), (position, arrivalMs) -> String.format("49590002%048d",
                position));
        child.log().append(List.of(AppendRecord.of("a", "c-0"), AppendRecord.of("a", "c-1")));
        shards.clear();
        shards.add(child);
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().stream().anyMatch(s -> s.data().equals("c-0")));
        crashing.fenced = true;
        first.close();
        behaviour = batch -> Answer.OK;
        events.clear();
        engine();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen().stream().anyMatch(s -> s.data().equals("c-1")));
        assertThat(seen()).extracting(Seen::data).startsWith("c-0", "c-1");
    }

    private LambdaApi.Result call(String method, String uuid, String body) {
        return api.handle(method, "/2015-03-31/event-source-mappings/" + uuid, Map.of(),
                body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTumblingWindowsStateSurvivesAnEngineRestartAndTheWindowEndsOnce() throws Exception {
        // A 15-minute window, so that the records fall in one: not within a minute of a window's end.
        await().atMost(Duration.ofSeconds(70)).until(() -> System.currentTimeMillis() % 900_000 < 840_000);
        functionAnswers = event -> {
            int before = event.at("/state/count").asInt(0);
            return new Answer(200, null, "{\"state\":{\"count\":" + (before + event.get("Records").size()) + "}}");
        };
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":2,\"TumblingWindowInSeconds\":900");
        put(0, "a", numbered("w-", 3));
        MappingEngine first = engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 3);
        first.close();
        assertThat(rawEvents).noneMatch(e -> e.get("isFinalInvokeForWindow").asBoolean());
        rawEvents.clear();
        events.clear();
        engine();
        put(0, "a", numbered("x-", 2));
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 2);
        assertThat(rawEvents.get(0).at("/state/count").asInt()).as("the state the first engine left").isEqualTo(3);
        // The shard closes: the window's final invocation, once, with the whole window's state.
        ShardSource.Shard shard = shards.get(0);
        shard.log().seal();
        await().atMost(Duration.ofSeconds(20)).until(() -> rawEvents.stream()
                .anyMatch(e -> e.get("isFinalInvokeForWindow").asBoolean()));
        Thread.sleep(300);
        assertThat(rawEvents.stream().filter(e -> e.get("isFinalInvokeForWindow").asBoolean())).singleElement()
                .satisfies(e -> assertThat(e.at("/state/count").asInt() + e.get("Records").size()).isEqualTo(5));
        assertThat(seen()).extracting(Seen::data).containsExactly("x-0", "x-1");
    }

    @Test
    void aWindowsCommittedStateNeverCountsRecordsAfterItsPosition() throws Exception {
        // M1: a batch's new state is applied before its records end. A commit in between (a booked one; a window's
        // start is committed at once) would store {count:2} at position 0: r-0 and r-1 counted twice after a crash.
        functionAnswers = event -> {
            int before = event.at("/state/count").asInt(0);
            return new Answer(200, null, "{\"state\":{\"count\":" + (before + event.get("Records").size()) + "}}");
        };
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":2,"
                + "\"TumblingWindowInSeconds\":900");
        String key = MappingCheckpoints.key(uuid, "shardId-000000000000");
        List<String> commits = new CopyOnWriteArrayList<>();
        Registration registration = storage.metadata().onCommit((version, changes) -> {
            if (changes.containsKey(key) && changes.get(key) != null) {
                commits.add(new String(changes.get(key), StandardCharsets.UTF_8));
            }
        });
        // The first batch's records stay unended until a state is committed (at most 2 s, past a throttled commit): the polls go on meanwhile.
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean();
        onInvoked = () -> {
            if (held.compareAndSet(false, true)) {
                long untilNs = System.nanoTime() + 2_000_000_000L;
                while (commits.stream().noneMatch(c -> c.contains("count")) && System.nanoTime() < untilNs) {
                    Thread.onSpinWait();
                }
            }
        };
        put(0, "a", numbered("r-", 4));
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 4 && commits.stream()
                .anyMatch(c -> MappingCheckpoints.Checkpoint.decode(c).nextPosition() == 4));
        registration.close();
        assertThat(held).isTrue();
        for (String commit : commits) {
            MappingCheckpoints.Checkpoint checkpoint = MappingCheckpoints.Checkpoint.decode(commit);
            int counted = checkpoint.windowState() == null ? 0 : JSON.readTree(checkpoint.windowState())
                    .path("count").asInt(0);
            assertThat(counted).as("records in the state of " + commit).isLessThanOrEqualTo(
                    (int) checkpoint.nextPosition());
        }
    }

    /** A mapping on shard 0 whose function fails every batch holding a record from "bad" on, retried (defaults). */
    private String retryingMapping(String extra) {
        functionDelayMs = 20;
        behaviour = batch -> batch.stream().anyMatch(s -> s.data().compareTo("r-2") >= 0)
                ? new Answer(200, "Unhandled", "{}") : Answer.OK;
        put(0, "a", numbered("r-", 8));
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":2" + extra);
        engine();
        // r-0, r-1 processed (a checkpoint), r-2 and r-3 retried.
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().stream().filter(s -> s.data().equals("r-2"))
                .count() >= 3 && storage.metadata().get(MappingCheckpoints.key(uuid, "shardId-000000000000"))
                .isPresent());
        return uuid;
    }

    @Test
    void anUpdateWhileABatchIsRetriedSettlesAndTheNewSettingsGoOnFromTheFailedRecord() throws Exception {
        String uuid = retryingMapping("");
        assertThat(call("PUT", uuid, "{\"BatchSize\":5}").httpStatus()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> get(uuid).get("State").asText().equals("Enabled"));
        // The new worker (BatchSize 5) retries from r-2, and only once the old one has let go of the shard.
        await().atMost(Duration.ofSeconds(20)).until(() -> events.stream().anyMatch(b -> b.size() == 5));
        behaviour = batch -> Answer.OK;
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded.stream().mapToInt(List::size).sum() >= 8);
        Thread.sleep(300);
        assertThat(succeeded.stream().flatMap(List::stream).map(Seen::data)).containsExactly(numbered("r-", 8));
        assertThat(succeeded.get(1)).hasSize(5);
        assertThat(maxInFlight.get()).as("one invocation of the shard at a time").isEqualTo(1);
    }

    @Test
    void aDisableWhileABatchIsRetriedSettlesAndInvokesNothingMoreUntilEnabledAgain() throws Exception {
        String uuid = retryingMapping("");
        assertThat(call("PUT", uuid, "{\"Enabled\":false}").httpStatus()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> get(uuid).get("State").asText().equals("Disabled"));
        int invocations = events.size();
        behaviour = batch -> Answer.OK;
        put(0, "a", "later");
        Thread.sleep(500);
        assertThat(events).hasSize(invocations);
        assertThat(call("PUT", uuid, "{\"Enabled\":true}").httpStatus()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> succeeded.stream().mapToInt(List::size).sum() >= 9);
        Thread.sleep(300);
        List<String> expected = new ArrayList<>(List.of(numbered("r-", 8)));
        expected.add("later");
        assertThat(succeeded.stream().flatMap(List::stream).map(Seen::data)).containsExactlyElementsOf(expected);
        assertThat(maxInFlight.get()).isEqualTo(1);
    }

    @Test
    void aDeleteWhileABatchIsRetriedRemovesTheMappingAndItsCheckpointsAndInvokesNothingMore() throws Exception {
        String uuid = retryingMapping("");
        assertThat(call("DELETE", uuid, null).httpStatus()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> call("GET", uuid, null).httpStatus() == 404);
        int invocations = events.size();
        assertThat(storage.metadata().scan(MappingCheckpoints.PREFIX + uuid + "/")).isEmpty();
        behaviour = batch -> Answer.OK;
        put(0, "a", "later");
        Thread.sleep(500);
        assertThat(events).hasSize(invocations);
        assertThat(storage.metadata().scan(MappingCheckpoints.PREFIX + uuid + "/")).isEmpty();
        assertThat(maxInFlight.get()).isEqualTo(1);
    }

    @Test
    void checkpointsAreCommittedAtMostAboutOnceASecondAndTheLatestAtClose() throws Exception {
        put(0, "a", numbered("r-", 40));
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":1");
        String key = MappingCheckpoints.key(uuid, "shardId-000000000000");
        AtomicInteger commits = new AtomicInteger();
        Registration registration = storage.metadata().onCommit((version, changes) -> {
            if (changes.containsKey(key)) {
                commits.incrementAndGet();
            }
        });
        MappingEngine engine = engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 40);
        // The booked (throttled) commit comes while the engine runs, not only the one close forces.
        await().atMost(Duration.ofSeconds(3)).until(() -> storage.metadata().get(key)
                .map(v -> new String(v, StandardCharsets.UTF_8)).orElse("").equals("40"));
        engine.close();
        registration.close();
        // 40 batches: a commit after each would be 40.
        assertThat(commits.get()).isBetween(1, 20);
        assertThat(new String(storage.metadata().get(key).orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("40");
    }

    @Test
    void aWallClockSteppedBackDoesNotPutTheThrottledCommitsOff() throws Exception {
        put(0, "a", numbered("r-", 3));
        String uuid = create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":1");
        String key = MappingCheckpoints.key(uuid, "shardId-000000000000");
        engine();
        await().atMost(Duration.ofSeconds(20)).until(() -> storage.metadata().get(key)
                .map(v -> new String(v, StandardCharsets.UTF_8)).orElse("").equals("3"));
        clockBackMs = 3_600_000;
        put(0, "a", numbered("s-", 3));
        // The throttle's second, not the hour the clock went back.
        await().atMost(Duration.ofSeconds(5)).until(() -> storage.metadata().get(key)
                .map(v -> new String(v, StandardCharsets.UTF_8)).orElse("").equals("6"));
    }

    @Test
    void aBatchingWindowHoldsAShortBatchUntilItPassesAndAFullOneGoesAtOnce() throws Exception {
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":5,\"MaximumBatchingWindowInSeconds\":1");
        engine();
        put(0, "a", numbered("a-", 3));
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 3);
        put(0, "a", numbered("b-", 12));
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 15);
        Thread.sleep(300);
        assertThat(events).extracting(List::size).containsExactly(3, 5, 5, 2);
    }

    /**
     * Records read while the function holds the shard's first batch (3 records): 5 arrive, then 20. Returns how many
     * were read once reading stopped.
     */
    private int readWhileTheFirstBatchIsHeld(MappingEngine.Options options) throws Exception {
        gate = new java.util.concurrent.CountDownLatch(1);
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":10");
        engine(options);
        put(0, "a", numbered("first-", 3));
        await().atMost(Duration.ofSeconds(20)).until(() -> inFlight.get() == 1);
        put(0, "a", numbered("second-", 5));
        await().atMost(Duration.ofSeconds(20)).until(() -> polled.get() >= 8);
        put(0, "a", numbered("third-", 20));
        Thread.sleep(500);
        int read = polled.get();
        gate.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().size() >= 28);
        assertThat(seen()).extracting(Seen::data).containsExactly(java.util.stream.Stream.of(numbered("first-", 3),
                numbered("second-", 5), numbered("third-", 20)).flatMap(Stream::of).toArray(String[]::new));
        return read;
    }

    @Test
    void readAheadStopsAtBatchSizeTimesLanesQueued() throws Exception {
        // 3 in the batch under way, then at most BatchSize (10) queued: 5, and only 5 of the next 20.
        assertThat(readWhileTheFirstBatchIsHeld(FAST)).isEqualTo(13);
    }

    @Test
    void theEnginesReadAheadBudgetStopsReadingButLeavesEachWorkerABatch() throws Exception {
        // A budget of one byte: a worker whose queue is empty still reads a batch's worth (the 5), no more.
        MappingEngine.Options tiny = new MappingEngine.Options(FAST.pollIntervalMs(), FAST.invocationThreads(),
                FAST.connectTimeout(), FAST.invocationTimeout(), FAST.backoffBaseMs(), FAST.backoffMaxMs(), 1);
        assertThat(readWhileTheFirstBatchIsHeld(tiny)).isEqualTo(8);
    }

    @Test
    void aLaneRetryingARecordLeavesTheShardsOtherLanesReadingPastAnExhaustedBudget() throws Exception {
        // "a" goes to lane 1, "b" to lane 0 (String.hashCode mod 2). Lane 1 retries "bad" with "a-2" queued behind it;
        // the engine's budget (1 byte) is spent, but idle lane 0 still gets b's records.
        MappingEngine.Options tiny = new MappingEngine.Options(FAST.pollIntervalMs(), FAST.invocationThreads(),
                FAST.connectTimeout(), FAST.invocationTimeout(), FAST.backoffBaseMs(), FAST.backoffMaxMs(), 1);
        behaviour = batch -> batch.stream().anyMatch(s -> s.data().equals("bad"))
                ? new Answer(200, "Unhandled", "{}") : Answer.OK;
        put(0, "a", "bad", "a-1", "a-2");
        create(",\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":2,\"ParallelizationFactor\":2");
        engine(tiny);
        await().atMost(Duration.ofSeconds(20)).until(() -> seen().stream().filter(s -> s.data().equals("bad"))
                .count() >= 2);
        put(0, "b", "b-0", "b-1");
        await().atMost(Duration.ofSeconds(5)).until(() -> succeeded.stream().flatMap(List::stream)
                .anyMatch(s -> s.data().equals("b-1")));
        assertThat(succeeded.stream().flatMap(List::stream)).noneMatch(s -> s.data().startsWith("a-"));
    }
}
