import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.KinesisClientUtil;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.InvalidStateException;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.exceptions.ThrottlingException;
import software.amazon.kinesis.exceptions.KinesisClientLibDependencyException;
import software.amazon.kinesis.leases.LeaseAssignmentStrategy;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.RetrievalConfig;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The KCL application of bench/lambda.py: one KCL 3.x worker (a {@link Scheduler} built with {@link ConfigsBuilder},
 * as an application builds it) whose record processors do nothing but count the records and checkpoint. Its Kinesis,
 * DynamoDB (leases) and CloudWatch (KCL's metrics, at KCL's default level) clients all point at one Millrace endpoint.
 *
 * <pre>java -cp CLASSES:KCL_CLASSPATH KclCounter ENDPOINT STREAM APPLICATION RETRIEVAL CHECKPOINT_MS STATUS_FILE
 *     [DELAY_FILE]</pre>
 *
 * <p>RETRIEVAL is {@code polling:IDLE_MS} (GetRecords, KCL's {@link PollingConfig} with
 * idleTimeBetweenReadsInMillis IDLE_MS: KCL's default is 1,500 ms and it waits that long between any two calls on a
 * shard, not only after an empty one) or {@code fanout} (SubscribeToShard, KCL's default retrieval). A processor
 * checkpoints at the end of a processRecords call once CHECKPOINT_MS have passed since its last checkpoint (0: after
 * every batch), at a shard's end and when asked to shut down.
 *
 * <p>Every 100 ms (and at exit) it writes STATUS_FILE whole: {@code {"records", "batches", "checkpoints",
 * "initialized", "initializedMs", "firstMs", "lastMs"}}: how many shard processors were initialized and when the last
 * of them was (KCL starts reading a shard right after), and the times of the first processRecords call with records
 * and the end of the last one, in epoch milliseconds. With DELAY_FILE it decodes each record, the bench's
 * {@code {"i": N, "t": SEND_EPOCH_MS}}, and appends {@code N DELAY_MS} per record (when processRecords got it minus the
 * send time), flushed per batch.
 *
 * <p>Only timings that bound the start of a single worker differ from KCL's defaults (see {@link #tune}); nothing
 * that the steady state depends on.
 *
 * <p>Thread-safe: KCL calls the processors of different shards from different threads; the counters are atomic and
 * delay lines are written under the writer's lock.
 */
public final class KclCounter {
    private static final Pattern SENT = Pattern.compile("\"i\":\\s*(-?\\d+),\\s*\"t\":\\s*([0-9.]+)");

    private final long checkpointMs;
    private final BufferedWriter delays;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong checkpoints = new AtomicLong();
    private final AtomicLong initialized = new AtomicLong();
    private final AtomicLong initializedMs = new AtomicLong();
    private final AtomicLong firstMs = new AtomicLong();
    private final AtomicLong lastMs = new AtomicLong();

    private KclCounter(long checkpointMs, BufferedWriter delays) {
        this.checkpointMs = checkpointMs;
        this.delays = delays;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 6 || args.length > 7) {
            System.err.println("usage: KclCounter ENDPOINT STREAM APPLICATION polling:IDLE_MS|fanout CHECKPOINT_MS "
                    + "STATUS_FILE [DELAY_FILE]");
            System.exit(2);
        }
        URI endpoint = URI.create(args[0]);
        String stream = args[1];
        String application = args[2];
        String retrieval = args[3];
        Path status = Path.of(args[5]);
        BufferedWriter delays = args.length == 7 ? Files.newBufferedWriter(Path.of(args[6])) : null;
        KclCounter counter = new KclCounter(Long.parseLong(args[4]), delays);

        // --auth none (the default on loopback) reads the account from the key and checks no signature.
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIDBENCH", "bench"));
        KinesisAsyncClient kinesis = KinesisClientUtil.createKinesisAsyncClient(KinesisAsyncClient.builder()
                .endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(credentials));
        DynamoDbAsyncClient dynamo = DynamoDbAsyncClient.builder().endpointOverride(endpoint)
                .region(Region.US_EAST_1).credentialsProvider(credentials).build();
        CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder().endpointOverride(endpoint)
                .region(Region.US_EAST_1).credentialsProvider(credentials).build();
        ConfigsBuilder configs = new ConfigsBuilder(new SingleStreamTracker(stream,
                InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)),
                application, kinesis, dynamo, cloudWatch, "bench-worker", counter::processor);
        LeaseManagementConfig leases = configs.leaseManagementConfig();
        tune(leases);
        RetrievalConfig retrievalConfig = configs.retrievalConfig();
        if (retrieval.startsWith("polling:")) {
            retrievalConfig.retrievalSpecificConfig(new PollingConfig(stream, kinesis)
                    .idleTimeBetweenReadsInMillis(Long.parseLong(retrieval.substring("polling:".length()))));
        } else if (!retrieval.equals("fanout")) {
            throw new IllegalArgumentException("RETRIEVAL is polling:IDLE_MS or fanout, not " + retrieval);
        }
        Scheduler scheduler = new Scheduler(configs.checkpointConfig(), configs.coordinatorConfig(), leases,
                configs.lifecycleConfig(), configs.metricsConfig(), configs.processorConfig(), retrievalConfig);

        Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "status");
            thread.setDaemon(true);
            return thread;
        }).scheduleWithFixedDelay(() -> counter.writeStatus(status), 0, 100, TimeUnit.MILLISECONDS);
        // SIGTERM from the bench: KCL's graceful shutdown (processors checkpoint), bounded, then a last status.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                scheduler.startGracefulShutdown().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("graceful shutdown: " + e);
            }
            counter.writeStatus(status);
        }));
        scheduler.run();
    }

    /**
     * Off KCL's defaults only what delays the start of a lone worker. A shard sync: the worker that creates the
     * leases then waits shardSyncIntervalMillis (60 s) before it takes any; here 5 s (it also lists the shards that
     * often, a ListShards call per 5 s). Worker metrics: KCL probes the EC2 metadata endpoint for them, up to 10 s
     * off EC2, and one worker has nobody to balance with. Lease count balancing then (the utilization-aware default
     * needs the worker metrics).
     */
    private static void tune(LeaseManagementConfig leases) {
        leases.shardSyncIntervalMillis(5_000);
        leases.workerUtilizationAwareAssignmentConfig().disableWorkerMetrics(true);
        leases.leaseAssignmentStrategy(LeaseAssignmentStrategy.LEASE_COUNT_BASED);
    }

    private ShardRecordProcessor processor() {
        return new Processor();
    }

    private void writeStatus(Path status) {
        String json = String.format("{\"records\": %d, \"batches\": %d, \"checkpoints\": %d, \"initialized\": %d, "
                + "\"initializedMs\": %d, \"firstMs\": %d, \"lastMs\": %d}%n", records.get(), batches.get(),
                checkpoints.get(), initialized.get(), initializedMs.get(), firstMs.get(), lastMs.get());
        try {
            Path aside = status.resolveSibling(status.getFileName() + ".tmp");
            Files.writeString(aside, json);
            Files.move(aside, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // the scheduler would drop the task silently: say so, the bench then times out waiting for the status
            System.err.println("cannot write " + status + ": " + e);
            throw new UncheckedIOException(e);
        }
    }

    private void recordDelays(Iterable<KinesisClientRecord> batch, Instant received) {
        double receivedMs = received.getEpochSecond() * 1000.0 + received.getNano() / 1e6;
        StringBuilder lines = new StringBuilder();
        for (KinesisClientRecord record : batch) {
            Matcher sent = SENT.matcher(StandardCharsets.UTF_8.decode(record.data()).toString());
            if (sent.find()) {
                lines.append(sent.group(1)).append(' ')
                        .append(String.format("%.3f", receivedMs - Double.parseDouble(sent.group(2)))).append('\n');
            }
        }
        synchronized (delays) {
            try {
                delays.write(lines.toString());
                delays.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Counts, and checkpoints every {@link #checkpointMs}. Not thread-safe; KCL calls one processor from one thread
     * at a time.
     */
    private final class Processor implements ShardRecordProcessor {
        private long lastCheckpointNanos = System.nanoTime();

        @Override
        public void initialize(InitializationInput input) {
            initializedMs.accumulateAndGet(System.currentTimeMillis(), Math::max);
            initialized.incrementAndGet();
            System.out.println("initialized " + input.shardId() + " at " + input.extendedSequenceNumber());
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            if (input.records().isEmpty()) {
                return;
            }
            Instant received = Instant.now();
            firstMs.compareAndSet(0, received.toEpochMilli());
            if (delays != null) {
                recordDelays(input.records(), received);
            }
            long now = System.nanoTime();
            if (now - lastCheckpointNanos >= TimeUnit.MILLISECONDS.toNanos(checkpointMs)) {
                checkpoint(input.checkpointer());
                lastCheckpointNanos = now;
            }
            records.addAndGet(input.records().size());
            batches.incrementAndGet();
            lastMs.accumulateAndGet(System.currentTimeMillis(), Math::max);
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
            // another worker has the shard; nothing to do
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
            checkpoint(input.checkpointer());
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
            checkpoint(input.checkpointer());
        }

        /** A checkpoint that fails is left to the next one, as an application that checkpoints periodically does. */
        private void checkpoint(RecordProcessorCheckpointer checkpointer) {
            try {
                checkpointer.checkpoint();
                checkpoints.incrementAndGet();
            } catch (ShutdownException | ThrottlingException | KinesisClientLibDependencyException
                     | InvalidStateException e) {
                System.err.println("checkpoint failed: " + e);
            }
        }
    }
}
