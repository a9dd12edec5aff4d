package dev.millrace.app;

import dev.millrace.storage.kafka.KafkaStorageConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@code millrace server --storage kafka} checks before it opens the Kafka storage, so that a cluster it cannot
 * use is one line naming the servers and the option to fix ({@link StartupProblem}), within a bounded time, rather
 * than a hang or a stack trace: the cluster answers (with the node's own client properties, so SASL and TLS are
 * checked too) and has enough brokers for the replication factor and min.insync.replicas asked for.
 *
 * <p>Stateless; thread-safe.
 */
final class KafkaStartup {
    /** Closing an admin client that never connected must not hold up the exit. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private KafkaStartup() {
    }

    /** What the cluster said about itself, and what the topics will be created with. */
    record Cluster(int brokers, short replicationFactor, int minInsyncReplicas) {
    }

    /** Asks the cluster for its brokers, waiting at most {@code timeoutMs}. */
    static Cluster check(KafkaStorageConfig config, long timeoutMs) throws StartupProblem {
        int brokers = brokers(config, timeoutMs);
        if (brokers < 1) {
            throw new StartupProblem("the Kafka cluster at " + config.bootstrapServers() + " reports no brokers; "
                    + "wait until its brokers have started, or check --kafka-bootstrap-servers");
        }
        if (config.replicationFactor() > brokers) {
            throw new StartupProblem("--kafka-replication-factor " + config.replicationFactor() + " needs as many "
                    + "brokers, but the Kafka cluster at " + config.bootstrapServers() + " has " + brokers
                    + "; lower it (0 picks min(3, brokers)) or add brokers");
        }
        short factor = config.replicationFactorFor(brokers);
        int minInsync = config.minInsyncReplicasFor(factor);
        if (minInsync > factor) {
            throw new StartupProblem("--kafka-min-insync-replicas " + minInsync + " is more than the replication "
                    + "factor " + factor + " (the Kafka cluster at " + config.bootstrapServers() + " has " + brokers
                    + " brokers), so no write could be acknowledged; lower it or set --kafka-replication-factor");
        }
        return new Cluster(brokers, factor, minInsync);
    }

    private static int brokers(KafkaStorageConfig config, long timeoutMs) throws StartupProblem {
        int timeout = (int) Math.min(Integer.MAX_VALUE, timeoutMs);
        Admin admin;
        try {
            admin = Admin.create(config.clientConfig(Map.of(
                    AdminClientConfig.CLIENT_ID_CONFIG, "millrace-startup-check",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout)));
        } catch (KafkaException e) {
            throw new StartupProblem("cannot set up a Kafka client for " + config.bootstrapServers() + ": "
                    + messages(e) + "; check --kafka-bootstrap-servers, --kafka-property and --kafka-properties");
        }
        try {
            // Registered brokers that are down (fenced) count: a node restarted while one broker of three restarts
            // too must start, since every topic with three copies still takes writes.
            return admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeout).includeFencedBrokers(true))
                    .nodes()
                    // The call times itself out; the extra second only guards against it not doing so.
                    .get(timeoutMs + 1_000, TimeUnit.MILLISECONDS).size();
        } catch (ExecutionException e) {
            throw unreachable(config, timeoutMs, e.getCause());
        } catch (TimeoutException e) {
            throw unreachable(config, timeoutMs, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupProblem("interrupted while waiting for the Kafka cluster at "
                    + config.bootstrapServers());
        } finally {
            admin.close(CLOSE_TIMEOUT);
        }
    }

    private static StartupProblem unreachable(KafkaStorageConfig config, long timeoutMs, Throwable cause) {
        if (cause instanceof AuthenticationException) {
            return new StartupProblem("the Kafka cluster at " + config.bootstrapServers() + " refused this node: "
                    + messages(cause) + "; check the SASL or TLS settings in --kafka-property and --kafka-properties");
        }
        if (cause instanceof AuthorizationException) {
            return new StartupProblem("the Kafka cluster at " + config.bootstrapServers() + " does not allow this "
                    + "node to describe it: " + messages(cause) + "; grant its principal access (ACLs)");
        }
        if (cause instanceof TimeoutException || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            return new StartupProblem("no Kafka broker answered within " + timeoutMs + " ms (tried "
                    + config.bootstrapServers() + "); check --kafka-bootstrap-servers, that the brokers are running "
                    + "and reachable from here, and the security.protocol they expect (--kafka-property); "
                    + "--kafka-startup-timeout-ms waits longer");
        }
        return new StartupProblem("cannot use the Kafka cluster at " + config.bootstrapServers() + ": "
                + messages(cause) + "; check --kafka-bootstrap-servers, --kafka-property and --kafka-properties");
    }

    /**
     * What {@code KafkaStorage.open} threw, explained, if Kafka refused something (topic creation, configs, ACLs):
     * the first Kafka error in the cause chain; {@code null} for anything else, which keeps its stack trace.
     */
    static StartupProblem explainOpenFailure(Throwable e, KafkaStorageConfig config) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KafkaException) {
                return new StartupProblem("cannot open the Kafka storage (topic prefix '" + config.topicPrefix()
                        + "') on the cluster at " + config.bootstrapServers() + ": " + messages(e)
                        + "; check that this node may create, configure and read topics with that prefix");
            }
        }
        return null;
    }

    /** The distinct messages along a cause chain, joined: Kafka's outer messages often omit the inner reason. */
    private static String messages(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (out.indexOf(m) < 0) {
                out.append(out.length() == 0 ? "" : ": ").append(m);
            }
        }
        return out.toString().replace('\n', ' ');
    }
}
