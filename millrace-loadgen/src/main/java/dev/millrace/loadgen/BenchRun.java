package dev.millrace.loadgen;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One {@code millrace bench} run, in order: streams (and fan-out consumers) ready; readers positioned at LATEST
 * (unless the read is a backlog read); the producer started, warm-up, then the measured part with CPU samples at
 * its start and end; readers drained until they have read every measured record that was acknowledged (or
 * {@code --drain-timeout-s} passed: the shortfall is counted as an error); then consumers deregistered and the
 * streams this run created deleted, whatever happened before.
 *
 * <p>Not thread-safe; {@link #run()} is called once.
 */
final class BenchRun {
    private static final Logger log = LoggerFactory.getLogger(BenchRun.class);
    /**
     * Longer than the HTTP client's timeouts added up (connection acquisition, connect, write, read), so that a
     * request still unanswered after it is a bug, not a slow server.
     */
    private static final Duration PUT_COMPLETION_TIMEOUT = Duration.ofMinutes(5);

    private final BenchSettings settings;
    private final long runId = new SecureRandom().nextLong();
    private final ErrorCounts errors = new ErrorCounts();
    private final RunClock clock = new RunClock(java.time.Clock.systemUTC());
    private final List<String> notes = new ArrayList<>();

    BenchRun(BenchSettings settings) {
        this.settings = settings.validate();
    }

    BenchReport run() throws InterruptedException {
        ProcStats server = settings.serverPid().isPresent() ? ProcStats.of(settings.serverPid().getAsLong()) : null;
        ProcStats self = selfStats();
        int shardsRequested = settings.streams() * settings.shards();
        int polling = settings.readers().polling() ? shardsRequested : 0;
        int fanOut = settings.readers().fanOut() ? shardsRequested : 0;
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-timer");
            t.setDaemon(true);
            return t;
        });
        try (KinesisClients clients = new KinesisClients(settings, polling, fanOut)) {
            StreamSetup setup = new StreamSetup(clients.control());
            List<StreamSetup.Target> targets = new ArrayList<>();
            List<String> consumers = new ArrayList<>();
            BenchReport.Measurement measurement;
            try {
                for (int i = 0; i < settings.streams(); i++) {
                    targets.add(setup.ensure(settings.streamPrefix() + "-" + i, settings.shards()));
                }
                if (settings.readers().fanOut()) {
                    for (StreamSetup.Target target : targets) {
                        consumers.add(setup.registerConsumer(target.arn(), "millrace-bench-" + Long.toHexString(runId)));
                    }
                }
                measurement = measure(clients, targets, consumers, self, server, timer);
            } finally {
                tearDown(setup, targets, consumers);
            }
            return new BenchReport(measurement);
        } finally {
            timer.shutdownNow();
        }
    }

    private BenchReport.Measurement measure(KinesisClients clients, List<StreamSetup.Target> targets,
                                            List<String> consumers, ProcStats self, ProcStats server,
                                            ScheduledExecutorService timer) throws InterruptedException {
        boolean backlog = settings.readBacklog();
        ReaderGroup readers = settings.readers() == BenchSettings.Readers.NONE ? null
                : new ReaderGroup(settings, clients, targets, consumers, backlog, runId, clock, errors, timer);
        if (readers != null && !backlog) {
            readers.start();
        }
        List<String> names = targets.stream().map(StreamSetup.Target::name).toList();
        Producer producer = new Producer(settings, clients.data(),
                settings.putClient() == BenchSettings.PutClient.LEAN ? clients.lean() : null, names, clock, errors,
                runId);
        long startNanos = System.nanoTime();
        long measureStartNanos = startNanos + TimeUnit.SECONDS.toNanos(settings.warmupS());
        clock.startMeasuringAt(measureStartNanos);
        log.info("putting to {} shards{}", targets.stream().mapToInt(t -> t.shardIds().size()).sum(),
                settings.warmupS() > 0 ? " (" + settings.warmupS() + " s of warm-up first)" : "");
        producer.start(startNanos);
        sleepUntil(measureStartNanos);
        CpuSample atMeasureStart = CpuSample.take(self, server);
        long putEndNanos = producer.awaitCompletion(PUT_COMPLETION_TIMEOUT);
        CpuSample atPutEnd = CpuSample.take(self, server);
        long readStartNanos = System.nanoTime();
        if (readers != null) {
            if (backlog) {
                log.info("reading the backlog of {} records", producer.recordsAckedAll.sum());
                readers.start();
            }
            drain(readers, producer, backlog);
        }
        CpuSample atEnd = CpuSample.take(self, server);
        if (readers != null) {
            readers.stop();
        }
        return new BenchReport.Measurement(settings, runId, names,
                targets.stream().mapToInt(t -> t.shardIds().size()).sum(), backlog, measureStartNanos, putEndNanos,
                readStartNanos, producer, readers == null ? null : readers.pollingStats,
                readers == null ? null : readers.fanOutStats, atMeasureStart, atPutEnd, atEnd,
                server == null ? null : server.peakRssKib(), server == null ? null : server.rssKib(), errors, notes);
    }

    /** Waits for the readers to catch up; what they could not read in time is counted as an error. */
    private void drain(ReaderGroup readers, Producer producer, boolean backlog) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.drainTimeoutS());
        java.util.function.LongSupplier expected = backlog ? producer.recordsAckedAll::sum
                : producer.recordsAckedMeasured::sum;
        if (readers.awaitRecords(expected, backlog, deadline)) {
            return;
        }
        countMissing("GetRecords", readers.pollingStats, expected.getAsLong(), backlog);
        countMissing("SubscribeToShard", readers.fanOutStats, expected.getAsLong(), backlog);
    }

    private void countMissing(String operation, ReadStats stats, long expected, boolean backlog) {
        if (stats == null) {
            return;
        }
        long missing = expected - ReaderGroup.read(stats, backlog);
        if (missing > 0) {
            errors.failedRecords(operation, "RecordsNotReadWithinDrainTimeout", missing, missing + " of " + expected
                    + " acknowledged records not read within --drain-timeout-s " + settings.drainTimeoutS());
        }
    }

    /** Deregisters consumers and deletes the streams this run created; a failure is counted, never skipped. */
    private void tearDown(StreamSetup setup, List<StreamSetup.Target> targets, List<String> consumers) {
        for (String consumer : consumers) {
            try {
                setup.deregisterConsumer(consumer);
            } catch (RuntimeException e) {
                errors.failedCall("DeregisterStreamConsumer", e);
                log.warn("could not deregister consumer {}", consumer, e);
            }
        }
        for (StreamSetup.Target target : targets) {
            if (!target.created()) {
                notes.add("stream " + target.name() + " existed before the run and was kept");
            } else if (settings.keepStreams()) {
                notes.add("stream " + target.name() + " kept (--keep-streams)");
            } else {
                try {
                    setup.delete(target.name());
                } catch (RuntimeException e) {
                    errors.failedCall("DeleteStream", e);
                    log.warn("could not delete stream {}", target.name(), e);
                }
            }
        }
    }

    /** This JVM's /proc entry, for the JIT's share of its CPU time; null where there is no /proc. */
    private static ProcStats selfStats() {
        if (!java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/task"))) {
            return null;
        }
        return ProcStats.of(ProcessHandle.current().pid());
    }

    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long remaining;
        while ((remaining = deadlineNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(remaining);
        }
    }
}
