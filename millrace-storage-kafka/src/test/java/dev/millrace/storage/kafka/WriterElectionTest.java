package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The metadata-writer election against a real one-node cluster, several nodes in one JVM: exactly one is elected at
 * any time, a joining node does not depose the writer, and when the writer closes or crashes another takes over
 * within the 15 s issue #15 requires; from the listeners' point of view there are never two writers at once (a
 * crashed node reports nothing, so it is left out of that count from its crash on).
 */
@ExtendWith(SharedKafka.class)
class WriterElectionTest {
    /** The bound issue #15 sets for another node to take over from a dead writer. */
    private static final long TAKEOVER_BOUND_MS = 15_000;
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static KafkaTestCluster cluster;
    private final List<WriterElection> started = new ArrayList<>();
    private final Writers writers = new Writers();
    private KafkaStorageConfig config;

    @BeforeAll
    static void startCluster(KafkaTestCluster shared) {
        cluster = shared;
    }

    @BeforeEach
    void prefix() {
        config = KafkaStorageConfig.of(cluster.bootstrapServers())
                .withTopicPrefix("election" + PREFIXES.incrementAndGet() + ".");
    }

    @AfterEach
    void closeAll() {
        started.forEach(WriterElection::close);
    }

    /** What the listeners say: who believes it is the writer, and whether two ever did at once. */
    private static final class Writers {
        private final Set<String> electedNow = ConcurrentHashMap.newKeySet();
        private final List<String> violations = new CopyOnWriteArrayList<>();
        private final Map<String, AtomicInteger> deposals = new ConcurrentHashMap<>();
        private final Set<String> crashed = ConcurrentHashMap.newKeySet();

        WriterElection.Listener listenerOf(String nodeId) {
            return new WriterElection.Listener() {
                @Override
                public void elected() {
                    synchronized (Writers.this) {
                        electedNow.add(nodeId);
                        Set<String> alive = new HashSet<>(electedNow);
                        alive.removeAll(crashed);
                        if (alive.size() > 1) {
                            violations.add("both elected: " + alive);
                        }
                    }
                }

                @Override
                public void deposed() {
                    synchronized (Writers.this) {
                        if (!electedNow.remove(nodeId)) {
                            violations.add(nodeId + " deposed while not elected");
                        }
                        deposals.computeIfAbsent(nodeId, k -> new AtomicInteger()).incrementAndGet();
                    }
                }
            };
        }

        int deposals(String nodeId) {
            AtomicInteger n = deposals.get(nodeId);
            return n == null ? 0 : n.get();
        }
    }

    private WriterElection start(String nodeId) {
        WriterElection e = WriterElection.start(config, nodeId, writers.listenerOf(nodeId));
        started.add(e);
        return e;
    }

    private static List<WriterElection> elected(List<WriterElection> elections) {
        return elections.stream().filter(WriterElection::isElected).toList();
    }

    /** Checks, every 50 ms for {@code ms}, that exactly one of {@code elections} is elected. */
    private void assertExactlyOneFor(List<WriterElection> elections, long ms) throws InterruptedException {
        long end = System.nanoTime() + ms * 1_000_000;
        WriterElection first = elected(elections).get(0);
        while (System.nanoTime() < end) {
            assertThat(elected(elections)).containsExactly(first);
            Thread.sleep(50);
        }
    }

    /** The group's session is the configured one (the default, or a shorter one for a quicker takeover). */
    @Test
    void theGroupSessionIsTheConfigs() {
        assertThat(WriterElection.consumerSettings(config, "a")).containsEntry("session.timeout.ms", "10000")
                .containsEntry("max.poll.interval.ms", "10000").containsEntry("heartbeat.interval.ms", "1000");
        KafkaStorageConfig quick = config.withWriterSessionTimeoutMs(KafkaStorageConfig.MIN_WRITER_SESSION_TIMEOUT_MS);
        assertThat(WriterElection.consumerSettings(quick, "a")).containsEntry("session.timeout.ms", "3000")
                .containsEntry("max.poll.interval.ms", "3000").containsEntry("heartbeat.interval.ms", "1000");
        assertThat(quick.withTopicPrefix("other.").writerSessionTimeoutMs()).isEqualTo(3_000);
        assertThatThrownBy(() -> config.withWriterSessionTimeoutMs(2_999))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 3000 and 300000 ms");
        assertThatThrownBy(() -> config.withWriterSessionTimeoutMs(300_001))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 3000 and 300000 ms");
    }

    @Test
    void exactlyOneIsElectedAndClosingHandsOverAtOnce() throws Exception {
        WriterElection a = start("a");
        await().atMost(Duration.ofSeconds(15)).until(a::isElected);
        WriterElection b = start("b");
        WriterElection c = start("c");
        List<WriterElection> all = List.of(a, b, c);
        assertExactlyOneFor(all, 3_000);
        assertThat(a.isElected()).as("joining nodes leave the writer in place (cooperative sticky)").isTrue();
        assertThat(writers.deposals("a")).isZero();

        long closedAtNs = System.nanoTime();
        a.close();
        assertThat(a.isElected()).isFalse();
        assertThat(writers.deposals("a")).as("close() reports deposed() once").isEqualTo(1);
        List<WriterElection> rest = List.of(b, c);
        await().atMost(Duration.ofMillis(TAKEOVER_BOUND_MS)).until(() -> elected(rest).size() == 1);
        long takeoverMs = (System.nanoTime() - closedAtNs) / 1_000_000;
        assertThat(takeoverMs).as("takeover after a clean close, ms").isLessThan(TAKEOVER_BOUND_MS);
        assertExactlyOneFor(rest, 2_000);

        WriterElection next = elected(rest).get(0);
        next.close();
        WriterElection last = next == b ? c : b;
        await().atMost(Duration.ofMillis(TAKEOVER_BOUND_MS)).until(last::isElected);
        assertThat(writers.violations).isEmpty();
        System.out.println("WriterElectionTest: takeover after close " + takeoverMs + " ms");
    }

    @Test
    void aCrashedWriterIsReplacedWithinFifteenSeconds() throws Exception {
        WriterElection a = start("a");
        await().atMost(Duration.ofSeconds(15)).until(a::isElected);
        WriterElection b = start("b");
        WriterElection c = start("c");
        assertExactlyOneFor(List.of(a, b, c), 1_000);

        writers.crashed.add("a");
        long crashedAtNs = System.nanoTime();
        a.abandonForTest();
        List<WriterElection> rest = List.of(b, c);
        // While the coordinator has not noticed, the group keeps partition 0 with the dead node: nobody else writes.
        Thread.sleep(3_000);
        assertThat(elected(rest)).isEmpty();
        await().atMost(Duration.ofMillis(TAKEOVER_BOUND_MS + 5_000)).pollInterval(Duration.ofMillis(50))
                .until(() -> elected(rest).size() == 1);
        long takeoverMs = (System.nanoTime() - crashedAtNs) / 1_000_000;
        System.out.println("WriterElectionTest: takeover after crash " + takeoverMs + " ms");
        assertThat(takeoverMs).as("takeover after a crash, ms").isLessThan(TAKEOVER_BOUND_MS)
                // The dead node's last heartbeat may precede the crash by an interval; a LeaveGroup takes ~1 s.
                .as("a crash is noticed by the session timeout, not by a LeaveGroup")
                .isGreaterThan(config.writerSessionTimeoutMs() / 2);
        assertThat(writers.deposals("a")).as("a crashed node reports nothing").isZero();
        assertExactlyOneFor(rest, 1_000);
        assertThat(writers.violations).isEmpty();
    }
}
