package dev.millrace.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Several Millrace nodes, each a child process ({@link MillraceProcess}), on one Kafka cluster and topic prefix: a
 * cluster as {@code millrace server --storage kafka} makes one. Each node asks {@code GET /_millrace/cluster} for its
 * view: which node it is, whether it is the metadata writer, who the writer is, and who is alive.
 *
 * <p>Not thread-safe: one test drives it. Once started, the nodes do not change, so {@link #view} and
 * {@link #writers} may also be called from a thread of the test's own (one watching who is the writer).
 */
final class MillraceNodes implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One node's view of its cluster. */
    record View(String node, boolean writer, String writerNode, List<String> liveNodes) {
    }

    private final List<MillraceProcess> nodes = new ArrayList<>();

    /**
     * Starts {@code count} nodes in data directories under {@code dir}, each with {@code extraArgs} and a quick writer
     * takeover ({@link KafkaBackend#QUICK_TAKEOVER}).
     */
    static MillraceNodes start(int count, Path dir, String bootstrapServers, String prefix, long transitionDelayMs,
                               String... extraArgs) {
        return start(count, dir, bootstrapServers, prefix, transitionDelayMs, i -> List.of(extraArgs));
    }

    /**
     * Starts {@code count} nodes as {@link #start(int, Path, String, String, long, String...)} does, node {@code i}
     * with its own {@code argsOfNode.apply(i)}. If a node fails to start, those started are killed before the failure
     * is thrown: the caller has no {@code MillraceNodes} to close them with.
     */
    static MillraceNodes start(int count, Path dir, String bootstrapServers, String prefix, long transitionDelayMs,
                               IntFunction<List<String>> argsOfNode) {
        MillraceNodes cluster = new MillraceNodes();
        try {
            for (int i = 0; i < count; i++) {
                List<String> args = new ArrayList<>(List.of("--storage", "kafka", "--kafka-bootstrap-servers",
                        bootstrapServers, "--kafka-topic-prefix", prefix, "--node-id", "node" + i));
                args.addAll(KafkaBackend.QUICK_TAKEOVER);
                args.addAll(argsOfNode.apply(i));
                cluster.nodes.add(MillraceProcess.startWithTransitionDelay(dir.resolve("node" + i),
                        transitionDelayMs, args.toArray(String[]::new)));
            }
            cluster.nodes.forEach(MillraceProcess::awaitReady);
            return cluster;
        } catch (RuntimeException | Error e) {
            try {
                cluster.close();
            } catch (RuntimeException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    MillraceProcess node(int i) {
        return nodes.get(i);
    }

    int size() {
        return nodes.size();
    }

    /** Node {@code i}'s view, or null if it does not answer. */
    View view(int i) {
        MillraceProcess p = nodes.get(i);
        if (!p.isAlive()) {
            return null;
        }
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(p.endpoint() + "/_millrace/cluster"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode j = JSON.readTree(r.body());
            List<String> live = new ArrayList<>();
            j.get("liveNodes").forEach(n -> live.add(n.get("id").asText()));
            return new View(j.get("node").asText(), j.get("writer").asBoolean(),
                    j.get("writerNode").isNull() ? null : j.get("writerNode").asText(), live);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The indexes of the live nodes that report being the writer now. */
    List<Integer> writers() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            View v = view(i);
            if (v != null && v.writer()) {
                out.add(i);
            }
        }
        return out;
    }

    /** Kills every node still running, even if killing one fails; the first failure is thrown, the rest suppressed. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (MillraceProcess node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
