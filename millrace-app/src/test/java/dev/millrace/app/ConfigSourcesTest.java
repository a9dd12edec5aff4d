package dev.millrace.app;

import dev.millrace.server.InitialStreams;
import dev.millrace.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Options from {@code MILLRACE_*} variables and the {@code --config} YAML file ({@link ConfigSources},
 * {@link ConfigFile}): each source works, the command line wins over the environment, the environment over the file,
 * and a bad key or value is refused naming the variable or the file and line.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class ConfigSourcesTest {
    @TempDir
    Path dir;

    static ServerCommand parse(Map<String, String> env, String... args) {
        CommandLine cl = MillraceMain.commandLine(env);
        CommandLine.ParseResult result = cl.parseArgs(args);
        return (ServerCommand) result.subcommand().commandSpec().userObject();
    }

    private Path config(String yaml) throws IOException {
        Path file = dir.resolve("millrace.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void environmentVariablesSetOptions() {
        assertThat(ConfigSources.envName("--max-queue-wait-ms")).isEqualTo("MILLRACE_MAX_QUEUE_WAIT_MS");
        ServerCommand command = parse(Map.of("MILLRACE_PORT", "5000", "MILLRACE_SHARD_LIMIT", "9",
                "MILLRACE_CREATE_STREAM", "a:2,b:on-demand", "MILLRACE_REQUEST_LOG", "true",
                "MILLRACE_LOG_FORMAT", "json"), "server");
        ServerConfig config = command.config();
        assertThat(config.port()).isEqualTo(5000);
        assertThat(config.shardLimit()).isEqualTo(9);
        assertThat(command.initialStreams()).containsExactly(new InitialStreams.Spec("a", 2),
                new InitialStreams.Spec("b", null));
        assertThat(command.requestLog).isTrue();
        assertThat(command.logFormat).isEqualTo(LogSetup.Format.JSON);
    }

    @Test
    void theConfigFileSetsOptionsAndTheEnvironmentAndCommandLineWin() throws IOException {
        Path file = config("""
                # a comment
                port: 5001
                shard-limit: 7
                account-id: "111111111111"
                throughput-limits: off
                create-stream: [x:3, y:on-demand]
                transition-delay-ms: 10
                """);
        ServerCommand fromFile = parse(Map.of(), "server", "--config", file.toString());
        ServerConfig config = fromFile.config();
        assertThat(config.port()).isEqualTo(5001);
        assertThat(config.throughput().enabled()).as("YAML 1.1's 'off' is taken as written").isFalse();
        assertThat(config.transitionDelayMs()).isEqualTo(10);
        assertThat(fromFile.initialStreams()).containsExactly(new InitialStreams.Spec("x", 3),
                new InitialStreams.Spec("y", null));

        ServerCommand layered = parse(Map.of("MILLRACE_CONFIG", file.toString(), "MILLRACE_SHARD_LIMIT", "9",
                "MILLRACE_PORT", "5002"), "server", "--port", "5003", "--create-stream", "z");
        ServerConfig both = layered.config();
        assertThat(both.port()).as("command line over environment and file").isEqualTo(5003);
        assertThat(both.shardLimit()).as("environment over file").isEqualTo(9);
        assertThat(both.account().id()).as("file over default").isEqualTo("111111111111");
        assertThat(layered.initialStreams()).as("a list is replaced, not merged")
                .containsExactly(new InitialStreams.Spec("z", 1));
    }

    @Test
    void anUnknownOrRepeatedKeyIsRefusedWithItsLine() throws IOException {
        Path file = config("port: 5001\nprot: 5002\n");
        assertThatThrownBy(() -> parse(Map.of(), "server", "--config", file.toString()))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("config file " + file + " line 2: unknown key 'prot'");
        Path twice = config("port: 1\nhost: 127.0.0.1\nport: 2\n");
        assertThatThrownBy(() -> parse(Map.of(), "server", "--config", twice.toString()))
                .hasMessageContaining("line 3: key 'port' is given twice (first on line 1)");
        Path notMapping = config("- port\n");
        assertThatThrownBy(() -> parse(Map.of(), "server", "--config", notMapping.toString()))
                .hasMessageContaining("must be a mapping");
        assertThatThrownBy(() -> parse(Map.of(), "server", "--config", dir.resolve("missing.yaml").toString()))
                .hasMessageContaining("no such file");
        Path list = config("port: [1, 2]\n");
        assertThatThrownBy(() -> parse(Map.of(), "server", "--config", list.toString()))
                .hasMessageContaining("line 1: key 'port' takes one plain value, not a list");
    }

    @Test
    void aBadValueSaysWhereItCameFromAndExitsTwo() throws IOException {
        Outcome env = run(Map.of("MILLRACE_PORT", "many"), "server");
        assertThat(env.exitCode()).isEqualTo(2);
        assertThat(env.stderr()).contains("'many'", "from environment variable MILLRACE_PORT")
                .doesNotContain("Usage:");
        Path file = config("shard-limit: 0\n");
        ServerCommand command = parse(Map.of(), "server", "--config", file.toString());
        assertThatThrownBy(command::config).hasMessageContaining("--shard-limit must be 1 or more, not 0 "
                + "(--shard-limit from config file " + file + " line 1)");
        Outcome key = run(Map.of(), "server", "--config", config("nope: 1\n").toString());
        assertThat(key.exitCode()).isEqualTo(2);
        assertThat(key.stderr()).startsWith("millrace: config file ").contains("unknown key 'nope'");
        Outcome commandLine = run(Map.of(), "server", "--port", "many");
        assertThat(commandLine.exitCode()).isEqualTo(2);
        assertThat(commandLine.stderr()).as("command-line errors keep picocli's usage help").contains("Usage:");
    }

    @Test
    void kafkaPropertiesComeAsAMappingOrLines() throws Exception {
        Path file = config("storage: kafka\nkafka-bootstrap-servers: k:9092\nkafka-property:\n"
                + "  security.protocol: SSL\n  client.id: from-file\n");
        ServerCommand fromFile = parse(Map.of(), "server", "--config", file.toString());
        assertThat(fromFile.kafkaConfig().clientConfig(Map.of())).containsEntry("security.protocol", "SSL")
                .containsEntry("client.id", "from-file");
        ServerCommand fromEnv = parse(Map.of("MILLRACE_KAFKA_PROPERTY", "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=PLAIN"), "server", "--config", file.toString());
        assertThat(fromEnv.kafkaConfig().clientConfig(Map.of())).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN").containsEntry("client.id", "from-file");
    }

    @Test
    void kafkaPropertiesMergeKeyByKeyCommandLineOverEnvironmentOverFile() throws Exception {
        Path file = config("storage: kafka\nkafka-bootstrap-servers: k:9092\nkafka-property:\n"
                + "  security.protocol: SSL\n  client.id: from-file\n  request.timeout.ms: 1000\n");
        ServerCommand command = parse(Map.of("MILLRACE_KAFKA_PROPERTY", "client.id=from-env\n"
                        + "request.timeout.ms=2000\nsasl.mechanism=PLAIN"), "server", "--config", file.toString(),
                "--kafka-property", "request.timeout.ms=3000", "--kafka-property", "linger.ms=5");
        assertThat(command.kafkaConfig().clientConfig(Map.of()))
                .containsEntry("security.protocol", "SSL")
                .containsEntry("client.id", "from-env")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("request.timeout.ms", "3000")
                .containsEntry("linger.ms", "5");
    }

    @Test
    void aBadKafkaPropertyNamesTheSourceItCameFrom() throws Exception {
        Path file = config("storage: kafka\nkafka-bootstrap-servers: k:9092\nkafka-property:\n  - no-equals\n");
        ServerCommand command = parse(Map.of("MILLRACE_KAFKA_PROPERTY", "a=b"), "server", "--config",
                file.toString());
        assertThatThrownBy(command::kafkaConfig).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("'no-equals'").hasMessageContaining("config file");
    }

    @Test
    void httpLimitOptionsOfTheirMixinComeFromEveryPlaceAndNameTheirSourceWhenBad() throws Exception {
        Path file = config("max-queue-wait-ms: 0\nhttp2-max-streams: 7\n");
        ServerCommand command = parse(Map.of("MILLRACE_IDLE_TIMEOUT_MS", "1234"), "server", "--config",
                file.toString(), "--max-connections", "99");
        assertThatThrownBy(command::config).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--max-queue-wait-ms must be 1 or more, not 0")
                .hasMessageContaining("config file " + file + " line 1");
        Path good = config("max-queue-wait-ms: 250\nhttp2-max-streams: 7\n");
        var limits = parse(Map.of("MILLRACE_IDLE_TIMEOUT_MS", "1234"), "server", "--config", good.toString(),
                "--max-connections", "99").config().http();
        assertThat(limits.maxQueueWaitMs()).isEqualTo(250);
        assertThat(limits.http2MaxConcurrentStreams()).isEqualTo(7);
        assertThat(limits.idleTimeoutMs()).isEqualTo(1234);
        assertThat(limits.maxConnections()).isEqualTo(99);
    }

    @Test
    void kafkaOptionsFromTheEnvironmentWithoutKafkaStorageAreRefused() {
        ServerCommand command = parse(Map.of("MILLRACE_KAFKA_BOOTSTRAP_SERVERS", "k:9092"), "server");
        assertThatThrownBy(command::kafkaConfig).isInstanceOf(StartupProblem.class)
                .hasMessageContaining("--kafka-bootstrap-servers is for Kafka storage");
    }

    /** What {@code millrace ARGS} printed and returned, in this JVM with {@code env}. */
    record Outcome(int exitCode, String stderr) {
    }

    private static Outcome run(Map<String, String> env, String... args) {
        CommandLine cl = MillraceMain.commandLine(env);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args);
        return new Outcome(code, err.toString());
    }

    @Test
    void helpNamesTheEnvironmentAndTheFile() {
        StringWriter out = new StringWriter();
        CommandLine cl = MillraceMain.commandLine(Map.of());
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("server", "--help")).isZero();
        assertThat(out.toString()).contains("--config", "MILLRACE_PORT", "--create-stream", "--log-format",
                "--request-log", "--log-level");
    }
}
