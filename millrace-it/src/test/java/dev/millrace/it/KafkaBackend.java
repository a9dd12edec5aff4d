package dev.millrace.it;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka backend of the integration suites ({@link OnKafka}): a one-broker cluster in the test JVM
 * ({@link KafkaTestCluster}, on 127.0.0.1) started before the class's {@code @BeforeAll} methods and closed after its
 * {@code @AfterAll} ones, so the class's servers (child processes) are stopped before their cluster is.
 *
 * <p>{@link MillraceProcess} asks {@link #serverArgs} for each server it starts: while a cluster is up that is
 * {@code --storage kafka --kafka-bootstrap-servers ... --kafka-topic-prefix P} and {@link #QUICK_TAKEOVER}, with
 * one prefix per data directory, so a restart on the same data directory finds the same streams (as on the embedded
 * engine) and two tests on two data directories never see each other's. When the class ends, every prefix handed out must have topics in the
 * cluster: a Kafka variant that had quietly run on the embedded engine fails there.
 *
 * <p>Thread-safe: the state is one volatile reference to an instance whose map is concurrent. Surefire runs each
 * test class in a JVM of its own, and JUnit runs classes one at a time, so one cluster is up at a time.
 */
final class KafkaBackend implements BeforeAllCallback, AfterAllCallback, ExecutionCondition {
    private static volatile Active active;

    /** The cluster of the running class and the topic prefix given to each data directory. */
    private record Active(KafkaTestCluster cluster, Map<Path, String> prefixes, AtomicInteger handedOut) {
        String prefixFor(Path dataDir) {
            return prefixes.computeIfAbsent(dataDir.toAbsolutePath().normalize(),
                    d -> "it" + handedOut.incrementAndGet() + ".");
        }
    }

    /**
     * The writer-election session every Kafka-backed server of the suite gets: the least the option allows (which
     * the test brokers allow too, see millrace-kafka-testkit's KafkaNodes), so that a server SIGKILLed as the metadata
     * writer is replaced, or a server restarted after its SIGKILL becomes the writer again, in about 4 s rather than
     * the default's 11. Scenarios that kill the writer cost 7 s less each time; what they check is unchanged.
     */
    static final List<String> QUICK_TAKEOVER = List.of("--kafka-writer-session-timeout-ms", "3000");

    /** The options that put a server on the data directory {@code dataDir} on the current backend. */
    static List<String> serverArgs(Path dataDir) {
        Active now = active;
        if (now == null) {
            return List.of();
        }
        List<String> args = new ArrayList<>(List.of("--storage", "kafka", "--kafka-bootstrap-servers",
                now.cluster().bootstrapServers(), "--kafka-topic-prefix", now.prefixFor(dataDir)));
        args.addAll(QUICK_TAKEOVER);
        return args;
    }

    /** The Kafka cluster's data directory (its brokers' logs), or null when servers keep their data in theirs. */
    static Path brokerData() {
        Active now = active;
        return now == null ? null : now.cluster().root();
    }

    /** Whether the servers started now keep their data in Kafka. */
    static boolean isActive() {
        return active != null;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (active != null) {
            throw new IllegalStateException("a Kafka backend is already up for another class");
        }
        long start = System.nanoTime();
        active = new Active(KafkaTestCluster.start(1), new ConcurrentHashMap<>(), new AtomicInteger());
        System.out.printf("%s: Kafka broker at %s, up in %d ms%n", context.getDisplayName(),
                active.cluster().bootstrapServers(), (System.nanoTime() - start) / 1_000_000);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Active ended = active;
        active = null;
        if (ended == null) {
            return;
        }
        try (KafkaTestCluster cluster = ended.cluster(); Admin admin = cluster.admin()) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (String prefix : ended.prefixes().values()) {
                assertThat(topics).as("topics of the server with prefix %s: it kept its data in Kafka", prefix)
                        .anyMatch(t -> t.startsWith(prefix));
            }
        }
    }

    /** Skips {@link EmbeddedOnly} tests, and with {@link OnKafka#onlyTagged} the tests without one of its tags. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            return ConditionEvaluationResult.enabled("a class runs; its tests are chosen one by one");
        }
        var embeddedOnly = AnnotationSupport.findAnnotation(context.getTestMethod(), EmbeddedOnly.class);
        if (embeddedOnly.isPresent()) {
            return ConditionEvaluationResult.disabled("embedded engine only: " + embeddedOnly.get().value());
        }
        String[] tags = context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, OnKafka.class))
                .map(OnKafka::onlyTagged).orElse(new String[0]);
        if (tags.length > 0 && Arrays.stream(tags).noneMatch(context.getTags()::contains)) {
            return ConditionEvaluationResult.disabled("on Kafka this class runs only the tests tagged "
                    + String.join(", ", tags) + "; another client's Kafka variant runs the rest");
        }
        return ConditionEvaluationResult.enabled("runs on Kafka");
    }
}
