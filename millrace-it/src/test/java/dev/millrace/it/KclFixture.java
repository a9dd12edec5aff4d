package dev.millrace.it;

import dev.millrace.it.KclHarness.Producer;
import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclWorker.App;
import dev.millrace.it.KclWorker.Retrieval;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One KCL scenario's world: a Millrace server on a data directory, a stream, the test's own Kinesis and DynamoDB
 * clients, a {@link Producer}, the application the workers run, and their journals (under
 * {@code target/millrace-logs/kcl/<stream>/}, kept for a post-mortem).
 *
 * <p>Not thread-safe; driven by the test's thread.
 */
final class KclFixture implements AutoCloseable {
    final String stream;
    final App app;
    final KinesisClient kinesis;
    final DynamoDbClient ddb;
    final Producer producer;
    final KclHarness.Phases phases;
    private final Path dataDir;
    private final Path logs;
    private final List<Path> journals = new ArrayList<>();
    private final List<KclWorker> workers = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();
    private MillraceProcess server;

    KclFixture(Path dataDir, String stream, int shards, Retrieval retrieval, boolean metrics) {
        this.phases = new KclHarness.Phases(stream);
        this.stream = stream;
        this.dataDir = dataDir;
        this.logs = KclHarness.logs(stream);
        this.server = MillraceProcess.start(dataDir);
        this.app = new App(server.endpoint(), stream, stream + "-app", retrieval, metrics);
        this.kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder());
        this.ddb = KclHarness.dynamo(server.endpoint());
        this.producer = new Producer(kinesis, stream);
        try {
            Streams.createActive(kinesis, stream, shards);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        phases.done("stream active");
    }

    /**
     * Starts a worker in this JVM; {@link #close} stops it if the test has not. Every worker after the first waits
     * for the first to have initialized the application ({@link KclHarness#awaitApplicationVersion}).
     */
    KclWorker startWorker(String workerId) {
        Path journal = newJournal(workerId);
        if (journals.size() > 1) {
            KclHarness.awaitApplicationVersion(ddb, app.applicationName());
        }
        KclWorker w = KclWorker.start(app, workerId, journal);
        workers.add(w);
        return w;
    }

    /** Starts a worker in a child JVM ({@link KclWorker#launch}); {@link #close} kills it if the test has not. */
    Process launchWorker(String workerId) {
        Path journal = newJournal(workerId);
        if (journals.size() > 1) {
            KclHarness.awaitApplicationVersion(ddb, app.applicationName());
        }
        Process child = KclWorker.launch(app, workerId, journal, logs.resolve(workerId + ".log"));
        children.add(child);
        return child;
    }

    private Path newJournal(String workerId) {
        Path journal = logs.resolve(workerId + ".journal");
        journals.add(journal);
        return journal;
    }

    /** Every journal's events; {@link Event#file()} numbers the workers in the order they started. */
    List<Event> events() {
        return KclJournal.read(journals);
    }

    void awaitSomethingProcessed() {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .until(() -> !KclHarness.processed(events()).isEmpty());
        phases.done("first record processed");
    }

    void awaitAllProcessed(int total) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> KclHarness.allProcessed(producer, total, journals));
        phases.done("all processed");
    }

    /** Waits until the lease table's checkpoints are {@code expected}; returns them. */
    Map<String, String> awaitCheckpoints(Map<String, String> expected) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> checkpoints().equals(expected));
        phases.done("checkpoints final");
        return expected;
    }

    Map<String, String> checkpoints() {
        return KclHarness.checkpoints(ddb, app.applicationName());
    }

    /** The owner of each shard lease. */
    Map<String, String> owners() {
        Map<String, String> owners = new TreeMap<>();
        KclHarness.leases(ddb, app.applicationName())
                .forEach((k, item) -> owners.put(k, KclHarness.attribute(item, "leaseOwner")));
        return owners;
    }

    /**
     * Stops the server cleanly (SIGTERM), keeps it down for {@code down}, and starts it again on the same data
     * directory and port; workers and clients keep running across it.
     */
    void restartServer(Duration down) throws InterruptedException {
        int port = server.port();
        assertThat(server.stop()).as("exit status of a clean stop").isZero();
        phases.done("server stopped");
        Thread.sleep(down.toMillis());
        server = MillraceProcess.startOnPort(dataDir, port);
        assertThat(server.port()).isEqualTo(port);
        phases.done("server restarted");
    }

    void summary(List<Event> events, int replays) {
        System.out.printf("%s: processed per worker %s, %d replays; %s; SDK calls %s%n", stream,
                KclHarness.processedPerJournal(events), replays, phases, operations());
    }

    /** The calls made by the workers started in this JVM ({@link #startWorker}), summed, by service and operation. */
    Map<String, Integer> operations() {
        Map<String, Integer> sum = new TreeMap<>();
        workers.forEach(w -> w.operations().forEach((call, n) -> sum.merge(call, n, Integer::sum)));
        return sum;
    }

    /** Stops what the scenario left running: workers (at once), child JVMs (killed), the clients and the server. */
    @Override
    public void close() {
        workers.forEach(KclWorker::close);
        children.forEach(Process::destroyForcibly);
        ddb.close();
        kinesis.close();
        if (server.isAlive()) {
            assertThat(server.stop()).as("exit status of a clean stop").isZero();
        }
    }
}
