package dev.millrace.storage.kafka;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.crypto.KeyRing;
import org.apache.kafka.clients.admin.Admin;

import java.time.Clock;

/**
 * The Kafka log store under the storage contracts: stores opened on one test cluster under a topic prefix of this
 * backend's own, so that reopening (close, open a new store on the same prefix) finds the same topics and no other
 * test's. Kafka stamps arrival times with the broker's clock, so the contracts start their manual clock at the
 * broker's now (the default {@link #clockStartMs()}; the brokers run in this JVM) and promise nothing beyond the SPI.
 *
 * <p>Not thread-safe, as {@link LogBackend}.
 */
final class KafkaLogBackend implements LogBackend {
    private final KafkaStorageConfig config;
    private final Admin admin;
    private final boolean recentAppends;

    /** A backend whose stores answer reads at the tip from memory ({@link RecentAppends}), as in production. */
    KafkaLogBackend(String bootstrapServers, Admin admin) {
        this(bootstrapServers, admin, true);
    }

    /** @param recentAppends false: every read goes to Kafka, so that the contracts cover that path too */
    KafkaLogBackend(String bootstrapServers, Admin admin, boolean recentAppends) {
        this.config = KafkaStorageConfig.of(bootstrapServers).withTopicPrefix(KafkaTestTopics.nextPrefix("log"));
        this.admin = admin;
        this.recentAppends = recentAppends;
    }

    @Override
    public LogStore open(Clock clock, KeyRing keys) {
        return KafkaLogStore.open(config, clock, KafkaLogStore::newProducer,
                recentAppends ? KafkaLogStore.recentAppendsBudgetBytes() : 0, keys);
    }

    /** The topic prefix this backend's stores use, for tests that look at the topics' raw records. */
    String topicPrefix() {
        return config.topicPrefix();
    }

    KafkaStorageConfig config() {
        return config;
    }

    @Override
    public void close() {
        KafkaTestTopics.deleteTopics(admin, config.topicPrefix());
    }
}
