package dev.millrace.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.amazonaws.services.lambda.runtime.events.KinesisEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;
import software.amazon.awssdk.services.lambda.model.FunctionResponseType;

/**
 * Event source mappings processing a stream on a server run as a child process: records put with the Kinesis SDK reach
 * a function (an HTTP server here, {@link FunctionServer}) in Lambda's Kinesis event as the Java runtime reads it, in
 * shard order, batched; a failing record is retried and then recorded at the S3 OnFailure destination (files under
 * the data directory, without {@code --s3-endpoint}); a batchItemFailures answer retries from the failed record on;
 * and a restarted server resumes where processing stopped. The mappings are made with the AWS SDK's LambdaClient.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventSourceMappingProcessingTest {
    private static final String ACCOUNT = "000000000000";
    private static final String ARN_PREFIX = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dataDir;
    private MillraceProcess server;
    private final FunctionServer function = new FunctionServer();
    private KinesisClient kinesis;
    private LambdaClient lambda;

    @BeforeAll
    void startServer() throws IOException {
        dataDir = Files.createTempDirectory("millrace-it-esm-");
        start(0);
    }

    private void start(int port) {
        server = MillraceProcess.startOnPort(dataDir, port, "--function", "fn=" + function.url());
        kinesis = Clients.syncNoRetries(server.awaitReady());
        lambda = Clients.lambda(server.endpoint());
    }

    private void stop() {
        kinesis.close();
        lambda.close();
        server.close();
    }

    @AfterAll
    void stopServer() throws IOException {
        stop();
        function.close();
        KinesisApiContract.deleteTree(dataDir);
    }

    @BeforeEach
    void quietFunction() {
        function.behaviour = event -> FunctionServer.Answer.OK;
        function.invocations.clear();
    }

    private void createStream(String name, int shards) {
        kinesis.createStream(b -> b.streamName(name).shardCount(shards));
        kinesis.waiter().waitUntilStreamExists(b -> b.streamName(name));
    }

    /** Puts records {@code prefix0..} with keys cycling over {@code keys}; returns data to sequence number. */
    private Map<String, String> put(String stream, String prefix, int count, int keys) {
        Map<String, String> sequenceNumbers = new HashMap<>();
        List<PutRecordsRequestEntry> entries = IntStream.range(0, count).mapToObj(i -> PutRecordsRequestEntry
                .builder().partitionKey("key-" + (i % keys)).data(SdkBytes.fromUtf8String(prefix + i)).build())
                .toList();
        List<PutRecordsResultEntry> results = kinesis.putRecords(b -> b.streamName(stream).records(entries))
                .records();
        for (int i = 0; i < count; i++) {
            assertThat(results.get(i).errorCode()).isNull();
            sequenceNumbers.put(prefix + i, results.get(i).sequenceNumber());
        }
        return sequenceNumbers;
    }

    /** The records the function got from {@code stream}: other tests' mappings may still be invoking it. */
    private List<KinesisEvent.KinesisEventRecord> records(String stream) {
        return function.records().stream().filter(r -> r.getEventSourceARN().equals(ARN_PREFIX + stream)).toList();
    }

    /** The invocations of the function for records of {@code stream}. */
    private List<List<String>> batches(String stream) {
        return function.invocations.stream().map(i -> i.event().getRecords()).filter(rs -> !rs.isEmpty()
                && rs.get(0).getEventSourceARN().equals(ARN_PREFIX + stream))
                .map(rs -> rs.stream().map(FunctionServer::data).toList()).toList();
    }

    private String awaitEnabled(String uuid) {
        await().atMost(Duration.ofSeconds(20)).until(() -> lambda.getEventSourceMapping(b -> b.uuid(uuid)).state()
                .equals("Enabled"));
        return uuid;
    }

    @Test
    @Tag("kafka")
    void everyRecordReachesTheFunctionInLambdasKinesisEventInShardOrder() {
        createStream("orders", 2);
        long beforeMs = System.currentTimeMillis();
        Map<String, String> sequenceNumbers = put("orders", "o-", 60, 7);
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(ARN_PREFIX + "orders")
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(25)).uuid();
        awaitEnabled(uuid);
        await().atMost(Duration.ofSeconds(30)).until(() -> records("orders").size() >= 60);
        long afterMs = System.currentTimeMillis();

        List<KinesisEvent.KinesisEventRecord> records = records("orders");
        assertThat(records.stream().map(FunctionServer::data)).containsExactlyInAnyOrderElementsOf(
                sequenceNumbers.keySet());
        assertThat(batches("orders")).allSatisfy(batch -> assertThat(batch).hasSizeBetween(1, 25));
        for (KinesisEvent.KinesisEventRecord r : records) {
            String data = FunctionServer.data(r);
            assertThat(r.getKinesis().getSequenceNumber()).isEqualTo(sequenceNumbers.get(data));
            assertThat(r.getKinesis().getPartitionKey()).isEqualTo("key-" + (Integer.parseInt(data.substring(2)) % 7));
            assertThat(r.getKinesis().getKinesisSchemaVersion()).isEqualTo("1.0");
            assertThat(r.getKinesis().getApproximateArrivalTimestamp().getTime()).isBetween(beforeMs - 1_000,
                    afterMs);
            assertThat(r.getEventSource()).isEqualTo("aws:kinesis");
            assertThat(r.getEventName()).isEqualTo("aws:kinesis:record");
            assertThat(r.getEventVersion()).isEqualTo("1.0");
            assertThat(r.getEventSourceARN()).isEqualTo(ARN_PREFIX + "orders");
            assertThat(r.getAwsRegion()).isEqualTo("us-east-1");
            assertThat(r.getEventID()).matches("shardId-00000000000[01]:" + r.getKinesis().getSequenceNumber());
        }
        // Per shard, in sequence order.
        Map<String, List<BigInteger>> byShard = records.stream().collect(Collectors.groupingBy(
                r -> r.getEventID().split(":")[0], Collectors.mapping(r -> new BigInteger(
                        r.getKinesis().getSequenceNumber()), Collectors.toList())));
        assertThat(byShard).hasSize(2);
        byShard.values().forEach(seqs -> assertThat(seqs).isSorted());
        await().atMost(Duration.ofSeconds(10)).until(() -> lambda.getEventSourceMapping(b -> b.uuid(uuid))
                .lastProcessingResult().equals("OK"));
    }

    @Test
    void aFailingRecordIsRetriedThenRecordedAtTheS3DestinationAndTheRestProcessed() throws IOException {
        createStream("payments", 1);
        function.behaviour = event -> event.getRecords().stream().anyMatch(r -> FunctionServer.data(r)
                .equals("p-3")) ? FunctionServer.Answer.error("Poison") : FunctionServer.Answer.OK;
        put("payments", "p-", 8, 1);
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn")
                .eventSourceArn(ARN_PREFIX + "payments").startingPosition(EventSourcePosition.TRIM_HORIZON)
                .batchSize(8).maximumRetryAttempts(2).bisectBatchOnFunctionError(true)
                .destinationConfig(d -> d.onFailure(f -> f.destination("arn:aws:s3:::esm-failures")))).uuid();
        Path prefix = dataDir.resolve("channels/esm-failures/aws/lambda/" + uuid + "/shardId-000000000000");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.isDirectory(prefix) && files(prefix).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> batches("payments").stream()
                .anyMatch(b -> b.contains("p-7") && !b.contains("p-3")));

        JsonNode record = JSON.readTree(Files.readAllBytes(files(prefix).get(0)));
        assertThat(record.at("/requestContext/condition").asText()).isEqualTo("RetryAttemptsExhausted");
        assertThat(record.at("/requestContext/functionArn").asText())
                .isEqualTo("arn:aws:lambda:us-east-1:" + ACCOUNT + ":function:fn");
        assertThat(record.at("/responseContext/functionError").asText()).isEqualTo("Unhandled");
        assertThat(record.at("/KinesisBatchInfo/batchSize").asInt()).isEqualTo(1);
        assertThat(record.at("/KinesisBatchInfo/streamArn").asText()).isEqualTo(ARN_PREFIX + "payments");
        assertThat(new String(Base64.getDecoder().decode(record.at("/payload/Records/0/kinesis/data").asText())))
                .isEqualTo("p-3");
        List<String> processed = batches("payments").stream().filter(b -> !b.contains("p-3"))
                .flatMap(List::stream).toList();
        assertThat(processed).containsExactly("p-0", "p-1", "p-2", "p-4", "p-5", "p-6", "p-7");
        // The lone poison record: 1 invocation and 2 retries after the splits.
        assertThat(batches("payments").stream().filter(b -> b.equals(List.of("p-3")))).hasSize(3);
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void aBatchItemFailureRetriesFromTheFailedRecordOnly() {
        createStream("refunds", 1);
        Map<String, String> sequenceNumbers = put("refunds", "r-", 6, 1);
        String failOnce = sequenceNumbers.get("r-4");
        AtomicBoolean failed = new AtomicBoolean();
        function.behaviour = event -> event.getRecords().stream().anyMatch(r -> r.getKinesis().getSequenceNumber()
                .equals(failOnce)) && failed.compareAndSet(false, true)
                ? new FunctionServer.Answer(200, null, "{\"batchItemFailures\":[{\"itemIdentifier\":\"" + failOnce
                        + "\"}]}") : FunctionServer.Answer.OK;
        lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(ARN_PREFIX + "refunds")
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(10)
                .functionResponseTypes(FunctionResponseType.REPORT_BATCH_ITEM_FAILURES));
        await().atMost(Duration.ofSeconds(30)).until(() -> batches("refunds").size() >= 2);
        assertThat(batches("refunds")).containsExactly(List.of("r-0", "r-1", "r-2", "r-3", "r-4", "r-5"), List.of("r-4", "r-5"));
    }

    @Test
    @Tag("kafka")
    void aRestartedServerResumesWhereProcessingStopped() {
        createStream("audit", 1);
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(ARN_PREFIX + "audit")
                .startingPosition(EventSourcePosition.LATEST).batchSize(10)).uuid();
        awaitEnabled(uuid);
        // The last batch (a-10..a-14: batches of 10, one at a time) is answered once the server has begun a clean
        // stop (SIGTERM), its endpoint refusing connections (MillraceServer.close stops accepting first), and a second
        // after that: by then the rest of the stop would have closed storage, had the mappings not been closed (their
        // batches waited for) before it. The engine waits for the answer up to about 5 s and commits the batch's
        // checkpoint before storage closes; past that wait the batch would be invoked again after the restart, as
        // after a SIGKILL (at least once, as on Lambda: EventSourceMappingCrashTest covers it).
        int port = server.port();
        AtomicBoolean answeredWhileStopping = new AtomicBoolean();
        function.behaviour = event -> {
            if (event.getRecords().stream().anyMatch(r -> FunctionServer.data(r).equals("a-14"))
                    && awaitRefused(port, 4_000)) {
                sleepQuietly(1_000);
                answeredWhileStopping.set(true);
            }
            return FunctionServer.Answer.OK;
        };
        put("audit", "a-", 15, 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> records("audit").size() >= 15);
        kinesis.close();
        lambda.close();
        assertThat(server.stop()).as("exit status of a clean stop").isZero();
        assertThat(answeredWhileStopping).as("the last batch was answered while the server stopped").isTrue();
        function.behaviour = event -> FunctionServer.Answer.OK;
        function.invocations.clear();
        start(port);
        put("audit", "b-", 5, 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> records("audit").stream()
                .anyMatch(r -> FunctionServer.data(r).equals("b-4")));
        List<String> after = new ArrayList<>(records("audit").stream().map(FunctionServer::data).toList());
        assertThat(after).as("only what came after the checkpoint").containsExactly("b-0", "b-1", "b-2", "b-3",
                "b-4");
    }

    /**
     * Tries to connect to 127.0.0.1:{@code port} every 50 ms until a connection is refused; false if none was within
     * {@code timeoutMs}.
     */
    private static boolean awaitRefused(int port, long timeoutMs) {
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadlineNanos && !Thread.currentThread().isInterrupted()) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                // A timeout or a reset: not a refusal yet.
            }
            sleepQuietly(50);
        }
        return false;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aConsumerArnSourceAtATimestampStartsThereAndNamesTheStream() throws Exception {
        createStream("clicks", 1);
        put("clicks", "early-", 3, 1);
        Thread.sleep(1_100);
        long atMs = System.currentTimeMillis();
        Thread.sleep(100);
        put("clicks", "late-", 3, 1);
        String consumerArn = kinesis.registerStreamConsumer(b -> b.streamARN(ARN_PREFIX + "clicks")
                .consumerName("esm")).consumer().consumerARN();
        await().atMost(Duration.ofSeconds(20)).until(() -> kinesis.describeStreamConsumer(b -> b
                .consumerARN(consumerArn)).consumerDescription().consumerStatusAsString().equals("ACTIVE"));
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(consumerArn)
                .startingPosition(EventSourcePosition.AT_TIMESTAMP)
                .startingPositionTimestamp(java.time.Instant.ofEpochMilli(atMs))).uuid();
        awaitEnabled(uuid);
        await().atMost(Duration.ofSeconds(20)).until(() -> records("clicks").size() >= 3);
        Thread.sleep(300);
        assertThat(records("clicks")).extracting(FunctionServer::data).containsExactly("late-0", "late-1",
                "late-2");
    }

    @Test
    void aDisabledMappingInvokesNothingAndOnceEnabledAgainGoesOnFromItsCheckpoint() throws Exception {
        createStream("ledger", 1);
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(ARN_PREFIX + "ledger")
                .startingPosition(EventSourcePosition.TRIM_HORIZON)).uuid();
        awaitEnabled(uuid);
        put("ledger", "x-", 4, 2);
        await().atMost(Duration.ofSeconds(20)).until(() -> records("ledger").size() >= 4);
        lambda.updateEventSourceMapping(b -> b.uuid(uuid).enabled(false));
        await().atMost(Duration.ofSeconds(20)).until(() -> lambda.getEventSourceMapping(b -> b.uuid(uuid)).state()
                .equals("Disabled"));
        put("ledger", "y-", 4, 2);
        Thread.sleep(1_500);
        assertThat(records("ledger")).extracting(FunctionServer::data).doesNotContain("y-0", "y-1", "y-2", "y-3");
        lambda.updateEventSourceMapping(b -> b.uuid(uuid).enabled(true).batchSize(2));
        await().atMost(Duration.ofSeconds(20)).until(() -> records("ledger").size() >= 8);
        Thread.sleep(300);
        assertThat(records("ledger")).extracting(FunctionServer::data).containsExactly("x-0", "x-1", "x-2", "x-3",
                "y-0", "y-1", "y-2", "y-3");
        assertThat(batches("ledger").subList(batches("ledger").size() - 2, batches("ledger").size()))
                .as("the new batch size").allSatisfy(b -> assertThat(b).hasSize(2));
    }
}
