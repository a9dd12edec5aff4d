package dev.millrace.app;

import dev.millrace.app.MillraceMainTest.Outcome;
import dev.millrace.storage.kafka.KafkaStorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.millrace.app.MillraceMainTest.assertOneLineProblem;
import static dev.millrace.app.MillraceMainTest.parse;
import static dev.millrace.app.MillraceMainTest.runServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --storage} and the {@code --kafka-*} options: parsing into a {@link KafkaStorageConfig}, usage errors for
 * values out of range, and the one-line startup problems (in a JVM of their own, as a user sees them) for options
 * that do not go together, an unreadable properties file and a cluster that cannot be reached.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class KafkaOptionsTest {

    @Test
    void embeddedIsTheDefaultAndNeedsNoKafka() throws StartupProblem {
        ServerCommand command = parse("server");
        assertThat(command.storage).isEqualTo(ServerCommand.Backend.EMBEDDED);
        assertThat(command.kafkaConfig()).isNull();
        assertThat(parse("server", "--storage", "embedded").kafkaConfig()).isNull();
    }

    @Test
    void kafkaDefaults() throws StartupProblem {
        KafkaStorageConfig config = parse("server", "--storage", "kafka", "--kafka-bootstrap-servers",
                "k1:9092,k2:9092").kafkaConfig();
        assertThat(config).isEqualTo(new KafkaStorageConfig("k1:9092,k2:9092", "millrace.", 0, 0, Map.of()));
        assertThat(config.replicationFactorFor(2)).as("min(3, brokers)").isEqualTo((short) 2);
        assertThat(config.replicationFactorFor(5)).isEqualTo((short) 3);
        assertThat(config.minInsyncReplicasFor((short) 3)).isEqualTo(2);
        assertThat(config.writerSessionTimeoutMs()).isEqualTo(10_000);
        assertThat(parse("server", "--storage", "kafka", "--kafka-bootstrap-servers", "k:1").kafka.startupTimeoutMs)
                .isEqualTo(KafkaOptions.STARTUP_TIMEOUT_MS_DEFAULT);
    }

    @Test
    void aPortPickedForANodeIsFreeAndBelowTheEphemeralRange() throws Exception {
        // Outgoing connections take their ports from the ephemeral range: one picked there before it is bound could
        // be taken meanwhile (a node's own Kafka clients connect between the pick and the bind).
        for (int i = 0; i < 20; i++) {
            int port = ServerCommand.freePort("127.0.0.1");
            assertThat(port).isBetween(20_000, ServerCommand.ephemeralRangeStart() - 1);
            try (java.net.ServerSocket bound = new java.net.ServerSocket(port, 1,
                    java.net.InetAddress.getByName("127.0.0.1"))) {
                assertThat(bound.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aNodeKeepsItsIdInItsDataDirectoryAcrossPorts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        ServerCommand command = parse("server", "--storage", "kafka", "--kafka-bootstrap-servers", "k:1");
        java.util.function.Function<String, picocli.CommandLine.ParameterException> usage = m ->
                new picocli.CommandLine.ParameterException(new picocli.CommandLine(new ServerCommand()), m);
        var first = command.kafka.node("127.0.0.1", 4567, 1L, dir, usage);
        assertThat(first.nodeId()).isEqualTo("127.0.0.1-4567");
        assertThat(first.endpoint()).isEqualTo("http://127.0.0.1:4567");
        // Restarted on another port (--port 0 picks a new one): the same node to the others, at a new address.
        var again = command.kafka.node("127.0.0.1", 4999, 2L, dir, usage);
        assertThat(again.nodeId()).isEqualTo("127.0.0.1-4567");
        assertThat(again.endpoint()).isEqualTo("http://127.0.0.1:4999");
        // --node-id wins; a file that holds no id is a startup problem, not a silent new identity.
        assertThat(parse("server", "--storage", "kafka", "--kafka-bootstrap-servers", "k:1", "--node-id", "east-1")
                .kafka.node("127.0.0.1", 4567, 3L, dir, usage).nodeId()).isEqualTo("east-1");
        java.nio.file.Files.writeString(dir.resolve(KafkaOptions.NODE_ID_FILE), "not an id!\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> command.kafka.node("127.0.0.1", 4567, 4L, dir,
                usage)).isInstanceOf(StartupProblem.class).hasMessageContaining("holds no node id");
    }

    @Test
    void everyKafkaOption() throws StartupProblem {
        KafkaStorageConfig config = parse("server", "--storage", "KAFKA", "--kafka-bootstrap-servers", "k1:1,k2:2",
                "--kafka-topic-prefix", "team-a.", "--kafka-replication-factor", "3",
                "--kafka-min-insync-replicas", "2", "--kafka-property", "security.protocol=SASL_SSL",
                "--kafka-property", "sasl.jaas.config=PlainLoginModule required username=\"u\" password=\"p=q\";",
                "--kafka-writer-session-timeout-ms", "3000")
                .kafkaConfig();
        assertThat(config.bootstrapServers()).isEqualTo("k1:1,k2:2");
        assertThat(config.topicPrefix()).isEqualTo("team-a.");
        assertThat(config.replicationFactor()).isEqualTo(3);
        assertThat(config.minInsyncReplicas()).isEqualTo(2);
        assertThat(config.writerSessionTimeoutMs()).isEqualTo(3_000);
        assertThat(config.clientProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"p=q\";"));
        assertThat(config.clientConfig(Map.of("acks", "all"))).containsEntry("bootstrap.servers", "k1:1,k2:2")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("acks", "all");
    }

    @Test
    void explicitPropertiesWinOverTheFileAndTheFlagOverBootstrapServers(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), """
                # a Kafka client.properties
                bootstrap.servers=from-file:9092
                security.protocol=SSL
                ssl.truststore.location=/etc/kafka/truststore.jks
                """);
        KafkaStorageConfig fromFile = parse("server", "--storage", "kafka", "--kafka-properties", file.toString(),
                "--kafka-property", "security.protocol=SASL_SSL").kafkaConfig();
        assertThat(fromFile.bootstrapServers()).isEqualTo("from-file:9092");
        assertThat(fromFile.clientProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL", "ssl.truststore.location", "/etc/kafka/truststore.jks"));

        KafkaStorageConfig flag = parse("server", "--storage", "kafka", "--kafka-properties", file.toString(),
                "--kafka-bootstrap-servers", "flag:9092").kafkaConfig();
        assertThat(flag.bootstrapServers()).isEqualTo("flag:9092");
        assertThat(flag.clientProperties()).doesNotContainKey("bootstrap.servers")
                .containsEntry("security.protocol", "SSL");
        assertThat(flag.clientConfig(Map.of())).as("no property can undo the flag")
                .containsEntry("bootstrap.servers", "flag:9092");
    }

    @Test
    void valuesOutOfRangeAreUsageErrors() {
        String[] kafka = {"server", "--storage", "kafka", "--kafka-bootstrap-servers", "k:1"};
        assertUsageError(with(kafka, "--kafka-replication-factor", "-1"), "--kafka-replication-factor");
        assertUsageError(with(kafka, "--kafka-min-insync-replicas", "-1"), "--kafka-min-insync-replicas");
        assertUsageError(with(kafka, "--kafka-replication-factor", "2", "--kafka-min-insync-replicas", "3"),
                "--kafka-min-insync-replicas 3 is more than --kafka-replication-factor 2");
        assertUsageError(with(kafka, "--kafka-topic-prefix", "no spaces"), "--kafka-topic-prefix");
        assertUsageError(with(kafka, "--kafka-topic-prefix", "x".repeat(41)), "--kafka-topic-prefix");
        assertUsageError(with(kafka, "--kafka-startup-timeout-ms", "0"), "--kafka-startup-timeout-ms");
        assertUsageError(with(kafka, "--kafka-writer-session-timeout-ms", "2999"),
                "--kafka-writer-session-timeout-ms must be between 3000 and 300000, not 2999");
        assertUsageError(with(kafka, "--kafka-writer-session-timeout-ms", "300001"),
                "--kafka-writer-session-timeout-ms must be between 3000 and 300000, not 300001");
        assertUsageError(with(kafka, "--kafka-property", "=x"), "--kafka-property");
        assertThatThrownBy(() -> parse(with(kafka, "--kafka-property", "no-equals-sign")))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--kafka-property");
        assertThatThrownBy(() -> parse("server", "--storage", "cassandra"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--storage");
    }

    @Test
    void optionsThatDoNotGoTogetherAreStartupProblems(@TempDir Path dir) {
        assertThatThrownBy(() -> parse("server", "--kafka-bootstrap-servers", "k:1", "--kafka-topic-prefix", "p.")
                .kafkaConfig()).isInstanceOf(StartupProblem.class)
                .hasMessage("--kafka-bootstrap-servers, --kafka-topic-prefix are for Kafka storage: add --storage "
                        + "kafka, or leave out the --kafka-* options to keep streams in --data-dir");
        assertThatThrownBy(() -> parse("server", "--storage", "kafka").kafkaConfig())
                .isInstanceOf(StartupProblem.class).hasMessageContaining("add --kafka-bootstrap-servers");
        assertThatThrownBy(() -> parse("server", "--storage", "kafka", "--kafka-bootstrap-servers", " ").kafkaConfig())
                .isInstanceOf(StartupProblem.class).hasMessageContaining("add --kafka-bootstrap-servers");
        assertThatThrownBy(() -> parse("server", "--storage", "kafka", "--kafka-bootstrap-servers", "k:1",
                "--durability", "interval").kafkaConfig())
                .isInstanceOf(StartupProblem.class).hasMessageStartingWith("--durability only tune");
        assertThatThrownBy(() -> parse("server", "--storage", "kafka", "--kafka-properties",
                dir.toString()).kafkaConfig())
                .isInstanceOf(StartupProblem.class).hasMessageContaining(dir + ": a directory, not a file");
    }

    @Test
    void helpShowsStorageAndEveryKafkaOption() {
        StringWriter out = new StringWriter();
        CommandLine cl = MillraceMain.commandLine();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("server", "--help")).isZero();
        assertThat(out.toString()).contains("--storage=embedded|kafka", "--kafka-bootstrap-servers",
                "--kafka-topic-prefix", "--kafka-replication-factor", "--kafka-min-insync-replicas",
                "--kafka-property", "--kafka-properties", "--kafka-startup-timeout-ms",
                "--kafka-writer-session-timeout-ms", "(default: millrace.)");
    }

    @Test
    void kafkaOptionsWithoutKafkaStorageAreOneLineOnStderr(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", data.toString(),
                "--kafka-bootstrap-servers", "127.0.0.1:9092"),
                "--kafka-bootstrap-servers is for Kafka storage: add --storage kafka");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", data.toString(), "--storage", "kafka"),
                "--storage kafka needs the cluster's brokers: add --kafka-bootstrap-servers");
        assertThat(data).as("nothing is created before the options are found wanting").doesNotExist();
    }

    @Test
    void unreadablePropertiesFileIsOneLineOnStderr(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.properties");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", dir.resolve("data").toString(),
                "--storage", "kafka", "--kafka-bootstrap-servers", "127.0.0.1:9092", "--kafka-properties",
                missing.toString()), "--kafka-properties " + missing + ": no such file", "--kafka-property KEY=VALUE");
        Path malformed = Files.writeString(dir.resolve("bad.properties"), "key=\\uZZZZ\n");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", dir.resolve("data").toString(),
                "--storage", "kafka", "--kafka-bootstrap-servers", "127.0.0.1:9092", "--kafka-properties",
                malformed.toString()), "--kafka-properties " + malformed + ": not a Java properties file");
    }

    /** A port nothing listens on: bound, then closed, so connecting to it is refused at once. */
    @Test
    void unreachableClusterIsOneLineOnStderrWithinTheTimeout(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = socket.getLocalPort();
        }
        String servers = "127.0.0.1:" + closed;
        long start = System.nanoTime();
        Outcome outcome = runServer(dir, "--port", "0", "--data-dir", dir.resolve("data").toString(),
                "--storage", "kafka", "--kafka-bootstrap-servers", servers, "--kafka-startup-timeout-ms", "1500");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertOneLineProblem(outcome, "no Kafka broker answered within 1500 ms (tried " + servers + ")",
                "--kafka-bootstrap-servers", "--kafka-startup-timeout-ms");
        assertThat(outcome.stdout()).as("the ready line").doesNotContain("Millrace listening");
        assertThat(tookMs).as("JVM start, 1.5 s of trying, and the admin client's close").isLessThan(20_000);
    }

    private static String[] with(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static void assertUsageError(String[] args, String message) {
        assertThatThrownBy(() -> parse(args).kafkaConfig()).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining(message);
    }
}
