package dev.millrace.storage.kafka;

import org.apache.kafka.clients.admin.Admin;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Topic prefixes for tests that share one cluster: each test (or property try) gets a prefix no other has, so that
 * it sees none of the others' shards or metadata, and its topics are deleted when it is done, so that a class's
 * cluster does not pile them up.
 *
 * <p>Thread-safe.
 */
final class KafkaTestTopics {
    private static final AtomicInteger NEXT = new AtomicInteger();

    private KafkaTestTopics() {
    }

    /**
     * A fresh prefix: letters, digits and a dash, then a dot. Never an underscore, since Kafka refuses a topic whose
     * name equals another's once dots and underscores are treated alike.
     */
    static String nextPrefix(String kind) {
        return kind + NEXT.incrementAndGet() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20))
                + ".";
    }

    /** Deletes every topic whose name starts with {@code prefix}; best effort, since the test is over. */
    static void deleteTopics(Admin admin, String prefix) {
        try {
            List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(name -> name.startsWith(prefix)).toList();
            if (!topics.isEmpty()) {
                admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            System.err.println("could not delete the topics of " + prefix + ": " + e);
        }
    }
}
