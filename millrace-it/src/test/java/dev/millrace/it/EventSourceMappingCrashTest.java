package dev.millrace.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.amazonaws.services.lambda.runtime.events.KinesisEvent;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;

/**
 * An event source mapping across kill -9: a server run as a child process is killed with SIGKILL {@link #cycles()}
 * times while a producer writes and the mapping invokes a function (a {@link FunctionServer} in this JVM, which
 * outlives the kills), each time at a random moment after the mapping's first invocation in that life, and restarted
 * on the same data directory and port. Afterwards every record the
 * server acknowledged has reached the function (at least once, as on Lambda), and in each shard the records first
 * reached it in sequence order: no record was skipped, none was processed before an earlier one of its shard.
 *
 * <p>Not thread-safe; one test.
 */
class EventSourceMappingCrashTest {
    private static final String STREAM = "crash";
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/" + STREAM;

    private final FunctionServer function = new FunctionServer();
    private Path dataDir;
    private MillraceProcess server;

    /** How many times the server is killed. */
    int cycles() {
        return 5;
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (server != null) {
            server.close();
        }
        function.close();
        if (dataDir != null) {
            KinesisApiContract.deleteTree(dataDir);
        }
    }

    private MillraceProcess startServer(int port) {
        return MillraceProcess.startOnPort(dataDir, port, "--function", "fn=" + function.url());
    }

    @Test
    void everyAcknowledgedRecordReachesTheFunctionInShardOrderAcrossKillNine() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("EventSourceMappingCrashTest seed: " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        Random random = new Random(seed);
        int lanes = 1 + random.nextInt(3);
        dataDir = Files.createTempDirectory("millrace-it-esm-crash-");
        server = startServer(0);
        int port = server.port();
        try (KinesisClient kinesis = Clients.syncNoRetries(server.awaitReady());
             LambdaClient lambda = Clients.lambda(server.endpoint())) {
            kinesis.createStream(b -> b.streamName(STREAM).shardCount(3));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName(STREAM));
            String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(STREAM_ARN)
                    .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(20)
                    .parallelizationFactor(lanes)).uuid();
            await().atMost(Duration.ofSeconds(20)).until(() -> lambda.getEventSourceMapping(b -> b.uuid(uuid))
                    .state().equals("Enabled"));
        }
        CrashProducer.Ledger ledger = new CrashProducer.Ledger();
        for (int cycle = 0; cycle < cycles(); cycle++) {
            int invokedBefore = function.invocations.size();
            if (cycle > 0) {
                server = startServer(port);
            }
            try (KinesisClient kinesis = Clients.syncNoRetries(server.awaitReady())) {
                CrashProducer producer = new CrashProducer(kinesis, STREAM, "c" + cycle + "-", ledger,
                        (id, n, valid) -> id, random.nextLong());
                long startNanos = System.nanoTime();
                producer.start();
                // The kill lands while this life's mapping processes: on Kafka a restarted server invokes nothing
                // until it is the metadata writer again.
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                        .until(() -> function.invocations.size() > invokedBefore);
                System.out.printf("EventSourceMappingCrashTest: life %d invoked the function %d ms after its"
                        + " producer started%n", cycle, (System.nanoTime() - startNanos) / 1_000_000);
                Thread.sleep(500 + random.nextInt(2_500));
                server.kill9();
                producer.finish();
            }
        }
        server = startServer(port);
        server.awaitReady();
        Set<String> mustArrive = new HashSet<>(ledger.acknowledged);
        mustArrive.addAll(ledger.deadLetters.values());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> arrived()
                .containsAll(mustArrive));

        assertThat(mustArrive).as("records were acknowledged in most lives").hasSizeGreaterThan(cycles() * 20);
        // ParallelizationFactor keeps the order of each partition key; with one lane, the shard's.
        firstArrivals(r -> r.getEventID().split(":")[0] + " " + r.getKinesis().getPartitionKey()).forEach((key,
                sequenceNumbers) -> assertThat(sequenceNumbers).as(key).isSorted());
        if (lanes == 1) {
            firstArrivals(r -> r.getEventID().split(":")[0]).forEach((shard, sequenceNumbers) ->
                    assertThat(sequenceNumbers).as(shard).isSorted());
        }
        long invoked = function.records().size();
        System.out.printf("EventSourceMappingCrashTest: ParallelizationFactor %d, %d acknowledged, %d sent, %d "
                + "record invocations (%d repeated after kills)%n", lanes, mustArrive.size(), ledger.sent.size(),
                invoked, invoked - arrived().size());
    }

    private Set<String> arrived() {
        Set<String> ids = new HashSet<>();
        for (KinesisEvent.KinesisEventRecord record : function.records()) {
            ids.add(FunctionServer.data(record));
        }
        return ids;
    }

    /** Per group, the sequence numbers of its records in the order each first reached the function. */
    private Map<String, List<BigInteger>> firstArrivals(
            java.util.function.Function<KinesisEvent.KinesisEventRecord, String> group) {
        Map<String, List<BigInteger>> byShard = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (KinesisEvent.KinesisEventRecord record : function.records()) {
            String sequenceNumber = record.getKinesis().getSequenceNumber();
            if (seen.add(sequenceNumber)) {
                byShard.computeIfAbsent(group.apply(record), s -> new ArrayList<>())
                        .add(new BigInteger(sequenceNumber));
            }
        }
        return byShard;
    }
}
