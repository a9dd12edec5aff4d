package dev.millrace.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * {@code millrace tail STREAM}: prints a stream's records from every shard, parents before children, KPL records as
 * their user records. Polls with GetRecords, or reads through enhanced fan-out (SubscribeToShard) with
 * {@code --consumer}. With {@code --consumer NAME} and no such consumer, tail registers it, waits for it to be ACTIVE,
 * and deregisters it when it ends (a consumer costs money on AWS while it exists); a consumer that was there is left.
 * AWS reference: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html and
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_SubscribeToShard.html
 *
 * <p>Not thread-safe: picocli fills and calls it once.
 */
@Command(name = "tail", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the records of a stream of any Kinesis endpoint, from every shard, following splits "
                + "and merges in order (a child shard after all its parents), with KPL aggregated records shown as "
                + "their user records.",
            "Without --follow it stops at the end of the data present when it started; with --follow it goes on "
                + "until Ctrl-C or SIGTERM, printing every record it read before it exits.",
            "Formats: text (the data as UTF-8, one record a line; bytes that are not UTF-8 as \\xNN, line breaks "
                + "and control characters escaped), json (one object a line: shardId, sequenceNumber, "
                + "subSequenceNumber for KPL user records, partitionKey, approximateArrivalTimestamp, data, "
                + "dataEncoding utf-8 or base64), hex (a header line and a hexdump -C of the data)."},
        exitCodeListHeading = ClientCommand.EXIT_CODES_HEADING,
        exitCodeList = {ClientCommand.EXIT_0, ClientCommand.EXIT_1, ClientCommand.EXIT_2, ClientCommand.EXIT_3,
            ClientCommand.EXIT_4, ClientCommand.EXIT_130,
            ClientCommand.EXIT_143})
public final class TailCommand extends ClientCommand {
    static final long POLL_IDLE_MS = 1_000;
    static final long FAN_OUT_IDLE_MS = 50;
    static final int THREADS = 8;
    static final Duration CONSUMER_ACTIVE_TIMEOUT = Duration.ofSeconds(120);

    @Parameters(index = "0", paramLabel = "STREAM", description = "The stream's name.")
    String stream;

    @Option(names = "--from", paramLabel = "POSITION",
            description = "latest, trim-horizon or an ISO-8601 time such as 2026-12-06T14:00:00Z (default: "
                    + "trim-horizon, or latest with --follow).")
    String from;

    @Option(names = {"-f", "--follow"}, description = "Go on printing new records until interrupted.")
    boolean follow;

    @Option(names = "--format", paramLabel = "text|json|hex", converter = FormatConverters.Record.class,
            description = "text (default), json or hex.")
    RecordFormat format = RecordFormat.TEXT;

    @Option(names = "--consumer", paramLabel = "NAME",
            description = "Read through enhanced fan-out as this consumer (SubscribeToShard over HTTP/2); "
                    + "registered for the run, and deregistered after it, if it does not exist.")
    String consumer;

    @Option(names = "--kpl", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show KPL aggregated records as their user records (default); --no-kpl shows them as "
                    + "stored.")
    boolean deaggregate = true;

    @Option(names = "--poll-interval-ms", paramLabel = "MS",
            description = "Wait before asking a shard again when it had nothing new (default: 1000; 50 with "
                    + "--consumer, whose events are pushed).")
    Long pollIntervalMs;

    @Option(names = "--progress", negatable = true,
            description = "Show progress on stderr (default: when stderr is a terminal and stdout is not, "
                    + "without --follow).")
    Boolean progress;

    @Override
    int execute(KinesisConnection kinesis) throws Exception {
        StartPosition start = from != null ? StartPosition.parse(from)
                : follow ? StartPosition.LATEST : StartPosition.TRIM_HORIZON;
        if (pollIntervalMs != null && pollIntervalMs < 0) {
            throw new UsageException("--poll-interval-ms must be 0 or more");
        }
        long idleMs = pollIntervalMs != null ? pollIntervalMs : consumer != null ? FAN_OUT_IDLE_MS : POLL_IDLE_MS;
        KinesisClient k = kinesis.sync();
        String consumerArn = null;
        boolean registered = false;
        if (consumer != null) {
            String streamArn = k.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary()
                    .streamARN();
            ConsumerDescription existing = describeConsumer(k, streamArn);
            if (existing == null) {
                consumerArn = k.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName(consumer))
                        .consumer().consumerARN();
                registered = true;
                err.println(name() + ": registered consumer " + consumer + " for this run");
                awaitActive(k, consumerArn);
            } else {
                consumerArn = existing.consumerARN();
            }
        }
        try {
            String arn = consumerArn;
            BiFunction<String, StartPosition, ShardFeed> feeds = arn == null
                    ? (shardId, at) -> new PollingFeed(k, stream, shardId, at)
                    : (shardId, at) -> new FanOutFeed(kinesis.async(), arn, shardId, at, clock);
            TailRun run = new TailRun(k, new TailRun.Settings(stream, start, follow, format, deaggregate, idleMs,
                    THREADS), feeds, out);
            return runWithProgress(run);
        } finally {
            if (registered) {
                String arn = consumerArn;
                k.deregisterStreamConsumer(b -> b.consumerARN(arn));
                err.println(name() + ": deregistered consumer " + consumer);
            }
        }
    }

    private int runWithProgress(TailRun run) throws Exception {
        // Records on a terminal would be torn by a progress line redrawn under them: by default only when they go
        // to a file or a pipe.
        boolean wanted = progress != null ? progress : !follow && progressWanted(null) && !Terminal.isTerminal(1);
        Progress line = new Progress(err, wanted, clock);
        ScheduledExecutorService ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "millrace-tail-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleAtFixedRate(() -> line.update(() -> String.format("%,d records, %d of %d shards done",
                        run.printed(), run.lineage().finishedCount(), run.lineage().count())),
                0, Progress.INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        try {
            boolean stopped = run.run(stopSignal());
            return stopped ? stoppedCode() : ExitCode.OK;
        } finally {
            ticker.shutdownNow();
            line.clear();
        }
    }

    private ConsumerDescription describeConsumer(KinesisClient k, String streamArn) {
        try {
            return k.describeStreamConsumer(b -> b.streamARN(streamArn).consumerName(consumer))
                    .consumerDescription();
        } catch (ResourceNotFoundException e) {
            return null;
        }
    }

    /** Waits for a new consumer to be ACTIVE (AWS: seconds; Millrace: its transition delay). */
    private void awaitActive(KinesisClient k, String consumerArn) throws InterruptedException {
        Instant deadline = clock.instant().plus(CONSUMER_ACTIVE_TIMEOUT);
        CompletableFuture<?> stopped = stopSignal();
        while (k.describeStreamConsumer(b -> b.consumerARN(consumerArn)).consumerDescription().consumerStatus()
                != ConsumerStatus.ACTIVE) {
            if (clock.instant().isAfter(deadline)) {
                throw new IllegalStateException("consumer " + consumer + " was not ACTIVE after "
                        + CONSUMER_ACTIVE_TIMEOUT.toSeconds() + " s");
            }
            if (stopped.isDone()) {
                throw new InterruptedException("interrupted while waiting for the consumer");
            }
            Thread.sleep(200);
        }
    }
}
