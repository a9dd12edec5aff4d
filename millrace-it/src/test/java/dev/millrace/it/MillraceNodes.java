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

/**
 * Several Millrace nodes, each a child process ({@link MillraceProcess}), on one Kafka cluster and topic prefix: a
 * cluster as {@code millrace server --storage kafka} makes one. Each node asks {@code GET /_millrace/cluster} for its
 * view: which node it is, whether it is the metadata writer, who the writer is, and who is alive.
 *
 * <p>Not thread-safe: one test drives it.
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
        MillraceNodes cluster = new MillraceNodes();
        for (int i = 0; i < count; i++) {
            List<String> args = new ArrayList<>(List.of("--storage", "kafka", "--kafka-bootstrap-servers",
                    bootstrapServers, "--kafka-topic-prefix", prefix, "--node-id", "node" + i));
            args.addAll(KafkaBackend.QUICK_TAKEOVER);
            args.addAll(List.of(extraArgs));
            cluster.nodes.add(MillraceProcess.startWithTransitionDelay(dir.resolve("node" + i), transitionDelayMs,
                    args.toArray(String[]::new)));
        }
        cluster.nodes.forEach(MillraceProcess::awaitReady);
        return cluster;
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

    @Override
    public void close() {
        nodes.forEach(MillraceProcess::close);
    }
}
