package dev.millrace.it;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.KinesisClientUtil;
import software.amazon.kinesis.coordinator.CoordinatorConfig;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.leases.LeaseAssignmentStrategy;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.metrics.MetricsConfig;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.RetrievalConfig;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One worker of a KCL 3.x application, unmodified but for its endpoints and timings: a real {@link Scheduler} built
 * with {@link ConfigsBuilder}, its Kinesis, DynamoDB and CloudWatch async clients pointed at a Millrace endpoint,
 * processing a stream from TRIM_HORIZON into a {@link KclJournal}. In this JVM ({@link #start}) or in a child JVM
 * ({@link #launch}, run by {@link KclWorkerMain}) that a test can kill.
 *
 * <p>Only the timings are the test's (see {@link #tune}): KCL's defaults are made for fleets that run for days
 * (a lease lasts 10 s, a dead leader is replaced after 2 minutes, a child shard waits 10 s between checks on its
 * parent), which would make every scenario take minutes.
 *
 * <p>Thread-safe: the scheduler runs on its own thread; {@link #shutdown} and {@link #close} may come from any.
 */
final class KclWorker implements AutoCloseable {
    /** How the workers read the stream: enhanced fan-out (KCL's default) or GetRecords polling. */
    enum Retrieval { FAN_OUT, POLLING }

    /**
     * An application: the stream, its name (also the lease table's), how it reads, whether KCL publishes its
     * metrics to CloudWatch (that is, to Millrace) or drops them ({@link MetricsLevel#NONE}), and the key its
     * clients sign with (the test key {@link Clients#CREDENTIALS} unless a test runs it as a given identity).
     */
    record App(URI endpoint, String streamName, String applicationName, Retrieval retrieval, boolean metrics,
               AwsBasicCredentials credentials) {
        App(URI endpoint, String streamName, String applicationName, Retrieval retrieval, boolean metrics) {
            this(endpoint, streamName, applicationName, retrieval, metrics,
                    (AwsBasicCredentials) Clients.CREDENTIALS.resolveCredentials());
        }

        /** How many arguments {@link KclWorkerMain} takes before the worker id and journal. */
        static final int ARGS = 7;

        List<String> toArgs() {
            return List.of(endpoint.toString(), streamName, applicationName, retrieval.name(),
                    Boolean.toString(metrics), credentials.accessKeyId(), credentials.secretAccessKey());
        }

        static App fromArgs(String[] args) {
            return new App(URI.create(args[0]), args[1], args[2], Retrieval.valueOf(args[3]),
                    Boolean.parseBoolean(args[4]), AwsBasicCredentials.create(args[5], args[6]));
        }

        AwsCredentialsProvider credentialsProvider() {
            return StaticCredentialsProvider.create(credentials);
        }
    }

    /** A lease lasts 5 s without renewal (KCL: 10 s); renewals every ~1.6 s. */
    static final long FAILOVER_TIME_MILLIS = 5_000;

    private final String workerId;
    private final KinesisAsyncClient kinesis;
    private final DynamoDbAsyncClient dynamo;
    private final CloudWatchAsyncClient cloudWatch;
    private final KclJournal journal;
    private final Scheduler scheduler;
    private final Thread thread;
    /** This worker's calls alone, for tests that run several applications at once in this JVM. */
    private final KclHarness.Operations operations = new KclHarness.Operations();

    private KclWorker(App app, String workerId, Path journalFile) {
        this.workerId = workerId;
        // As an application builds them, plus counters of the calls made (KclHarness.OPERATIONS, this worker's).
        this.kinesis = KinesisClientUtil.createKinesisAsyncClient(KinesisAsyncClient.builder()
                .endpointOverride(app.endpoint()).region(Clients.REGION)
                .credentialsProvider(app.credentialsProvider())
                .overrideConfiguration(o -> o.addExecutionInterceptor(KclHarness.OPERATIONS)
                        .addExecutionInterceptor(operations)));
        this.dynamo = DynamoDbAsyncClient.builder()
                .endpointOverride(app.endpoint()).region(Clients.REGION)
                .credentialsProvider(app.credentialsProvider())
                .overrideConfiguration(o -> o.addExecutionInterceptor(KclHarness.OPERATIONS)
                        .addExecutionInterceptor(operations))
                .build();
        this.cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(app.endpoint()).region(Clients.REGION)
                .credentialsProvider(app.credentialsProvider())
                .overrideConfiguration(o -> o.addExecutionInterceptor(KclHarness.OPERATIONS)
                        .addExecutionInterceptor(operations))
                .build();
        this.journal = new KclJournal(journalFile);
        this.scheduler = scheduler(app);
        this.thread = new Thread(scheduler, "kcl-" + workerId);
    }

    /** The calls this worker's clients made so far, by service and operation ({@link KclHarness.Operations}). */
    Map<String, Integer> operations() {
        return operations.snapshot();
    }

    /** Starts a worker in this JVM. */
    static KclWorker start(App app, String workerId, Path journalFile) {
        KclWorker w = new KclWorker(app, workerId, journalFile);
        w.thread.start();
        return w;
    }

    /** Runs the worker's scheduler on the calling thread until it shuts down (the child JVM's main). */
    static void runHere(App app, String workerId, Path journalFile) {
        try (KclWorker w = new KclWorker(app, workerId, journalFile)) {
            w.scheduler.run();
        }
    }

    private Scheduler scheduler(App app) {
        ConfigsBuilder configs = new ConfigsBuilder(
                new SingleStreamTracker(app.streamName(),
                        InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)),
                app.applicationName(), kinesis, dynamo, cloudWatch, workerId, journal);
        CoordinatorConfig coordinator = configs.coordinatorConfig();
        LeaseManagementConfig leases = configs.leaseManagementConfig();
        tune(coordinator, leases);
        RetrievalConfig retrieval = configs.retrievalConfig();
        if (app.retrieval() == Retrieval.POLLING) {
            // KCL's own floor is 200 ms; its default of 1.5 s between calls would dominate the run time.
            retrieval.retrievalSpecificConfig(new PollingConfig(app.streamName(), kinesis)
                    .idleTimeBetweenReadsInMillis(200));
        }
        MetricsConfig metrics = configs.metricsConfig();
        if (app.metrics()) {
            // Published every 10 s by default; sooner, so that a short run publishes too.
            metrics.metricsBufferTimeMillis(2_000);
        } else {
            metrics.metricsLevel(MetricsLevel.NONE);
        }
        return new Scheduler(configs.checkpointConfig(), coordinator, leases, configs.lifecycleConfig(), metrics,
                configs.processorConfig(), retrieval);
    }

    /**
     * KCL's timings, scaled down from minutes to seconds; each setting says what it makes faster.
     */
    private static void tune(CoordinatorConfig coordinator, LeaseManagementConfig leases) {
        // A child shard's consumer checks every 10 s whether its parent is done; a split would wait that long.
        coordinator.parentShardPollIntervalMillis(500);
        // The main loop (new leases -> shard consumers) runs every second; every pass on the leader also reads the
        // leader lock, so not much faster than this.
        coordinator.shardConsumerDispatchPollIntervalMillis(250);
        leases.failoverTimeMillis(FAILOVER_TIME_MILLIS)
                // The leader assigns expired and unassigned leases every 2 * failoverTime by default; each worker
                // looks for the leases assigned to it twice as often.
                .leaseAssignmentIntervalMillis(2_000L)
                // The leader lock (DynamoDB Lock Client): a dead leader is replaced once its lock has gone a lease
                // without a heartbeat, 2 minutes by default; until then nobody assigns the dead worker's leases.
                .dynamoDbLockBasedLeaderLeaseDurationInMillis(4_000)
                .dynamoDbLockBasedLeaderHeartbeatPeriodInMillis(1_000)
                // A lease taken from a live worker waits up to 30 s for it to checkpoint and let go.
                .gracefulLeaseHandoffConfig(LeaseManagementConfig.GracefulLeaseHandoffConfig.builder()
                        .gracefulLeaseHandoffTimeoutMillis(5_000).build())
                // The worker that creates the leases (a shard sync while it initializes) then sleeps this long, 60 s
                // by default, before it starts its own lease coordinator: leases assigned to it meanwhile are
                // neither renewed nor processed.
                .shardSyncIntervalMillis(1_000);
        // Workers report their metrics every 30 s, and the leader assigns leases only to workers whose report is
        // fresh (within two periods). Reports carry whole seconds, so 2 s is as low as is safe. CPU-based worker
        // metrics are off: KCL finds out which to use by probing the EC2 metadata endpoint (up to 10 s in the
        // Scheduler's constructor, off EC2), and the CPU load of a small shared machine would move leases around
        // at random.
        leases.workerUtilizationAwareAssignmentConfig()
                .workerMetricsReporterFreqInMillis(2_000)
                .disableWorkerMetrics(true);
        // Without worker metrics, the default (utilization-aware) assignment never moves a lease to a worker that
        // joins after the first assignment, which a slow start on a busy machine makes a matter of luck. Balancing
        // by lease count does, through KCL's graceful handoff (shutdownRequested, checkpoint, then the move).
        leases.leaseAssignmentStrategy(LeaseAssignmentStrategy.LEASE_COUNT_BASED);
    }

    /**
     * KCL's graceful shutdown: every shard's processor is asked to checkpoint ({@code shutdownRequested}) and the
     * leases are let go. Waits for it.
     */
    void shutdown() {
        try {
            if (!scheduler.startGracefulShutdown().get(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(workerId + ": graceful shutdown did not complete");
            }
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(workerId + ": graceful shutdown failed", e);
        }
    }

    /** Stops the scheduler if it still runs (at once, no checkpoints), then the clients and the journal. */
    @Override
    public void close() {
        if (!scheduler.hasGracefulShutdownStarted()) {
            scheduler.shutdown();
        }
        kinesis.close();
        dynamo.close();
        cloudWatch.close();
        try {
            journal.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a worker in a child JVM ({@code java -cp <this JVM's test class path> }{@link KclWorkerMain}), its
     * output in {@code log}. The caller ends it ({@link Process#destroyForcibly()}).
     */
    static Process launch(App app, String workerId, Path journalFile, Path log) {
        List<String> command = new ArrayList<>(MillraceProcess.java("256m"));
        command.addAll(List.of("-cp", testClassPath(), KclWorkerMain.class.getName()));
        command.addAll(app.toArgs());
        command.add(workerId);
        command.add(journalFile.toString());
        try {
            Files.createDirectories(log.getParent());
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /**
     * Surefire runs the tests with a manifest-only jar as {@code java.class.path}, and names the real class path in
     * {@code surefire.test.class.path}.
     */
    private static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
