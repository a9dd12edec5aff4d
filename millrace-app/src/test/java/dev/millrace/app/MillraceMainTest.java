package dev.millrace.app;

import dev.millrace.server.ServerConfig;
import dev.millrace.server.security.SecurityConfig;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.storage.log.DurabilityPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The command line: options to configuration, usage errors, and what a user sees when a node cannot start (run in a
 * JVM of its own, so that stderr, stdout and the exit status are the real ones).
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class MillraceMainTest {
    private static final long CHILD_TIMEOUT_S = 60;

    /** What {@code millrace ARGS} printed and returned. */
    record Outcome(int exitCode, String stdout, String stderr) {
    }

    static ServerCommand parse(String... args) {
        CommandLine cl = MillraceMain.commandLine();
        CommandLine.ParseResult result = cl.parseArgs(args);
        return (ServerCommand) result.subcommand().commandSpec().userObject();
    }

    @Test
    void defaults() {
        ServerConfig config = parse("server").config();
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(4567);
        assertThat(config.dataDir()).isEqualTo(Path.of("millrace-data").toAbsolutePath());
        assertThat(config.transitionDelayMs()).isEqualTo(500);
        assertThat(config.shardLimit()).isEqualTo(10_000);
        assertThat(config.logConfig().durability()).isEqualTo(DurabilityPolicy.SYNC);
        assertThat(config.logConfig().dataDir()).isEqualTo(config.dataDir());
        assertThat(config.logConfig().maxOpenFiles()).isEqualTo(ServerCommand.defaultMaxOpenFiles())
                .isBetween(512, 32_768);
    }

    @Test
    void everyOption(@TempDir Path dir) {
        ServerConfig config = parse("server", "--port", "0", "--host", "0.0.0.0", "--data-dir", dir + "/./x/../d",
                "--transition-delay-ms", "0", "--durability", "interval", "--shard-limit", "7",
                "--max-open-files", "20000").config();
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isZero();
        assertThat(config.dataDir()).isEqualTo(dir.resolve("d"));
        assertThat(config.transitionDelayMs()).isZero();
        assertThat(config.shardLimit()).isEqualTo(7);
        assertThat(config.logConfig().durability()).isEqualTo(DurabilityPolicy.INTERVAL);
        assertThat(config.logConfig().dataDir()).isEqualTo(dir.resolve("d"));
        assertThat(config.logConfig().maxOpenFiles()).isEqualTo(20_000);
    }

    @Test
    void httpLimitsHaveSafeDefaultsAndOptions() {
        HttpLimits defaults = parse("server").config().http();
        assertThat(defaults.maxConnections()).isEqualTo(HttpLimitOptions.defaultMaxConnections()).isBetween(64, 4096);
        assertThat(defaults.idleTimeoutMs()).as("well above the 5 s between SubscribeToShard events")
                .isGreaterThanOrEqualTo(60_000);
        assertThat(defaults.bodyBudgetBytes()).isGreaterThanOrEqualTo(ServerConfig.MAX_BODY_BYTES_DEFAULT);
        HttpLimits set = parse("server", "--max-connections", "10", "--idle-timeout-ms", "1000",
                "--header-timeout-ms", "2000", "--body-timeout-ms", "3000", "--http2-max-streams", "4",
                "--http2-window-bytes", "1048576", "--body-budget-bytes", "33554432", "--max-queued-requests", "7",
                "--max-queue-wait-ms", "250")
                .config().http();
        assertThat(set).as("a connection's share defaults to a quarter of the budget, at least one largest body")
                .isEqualTo(new HttpLimits(10, 1000, 2000, 3000, 4, 1_048_576, 33_554_432,
                        ServerConfig.MAX_BODY_BYTES_DEFAULT, 7, 250));
        assertThat(defaults.connectionBodyBytes()).isEqualTo(HttpLimits.CONNECTION_BODY_BYTES_DEFAULT);
        assertThat(parse("server", "--connection-body-budget-bytes", "20000000", "--api-threads", "3").config())
                .satisfies(c -> assertThat(c.http().connectionBodyBytes()).isEqualTo(20_000_000))
                .satisfies(c -> assertThat(c.apiThreads()).isEqualTo(3));
        assertThatThrownBy(() -> parse("server", "--connection-body-budget-bytes", "1000").config())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--connection-body-budget-bytes");
        assertThat(defaults.maxQueueWaitMs()).isEqualTo(HttpLimits.MAX_QUEUE_WAIT_MS_DEFAULT);
        assertThatThrownBy(() -> parse("server", "--max-queue-wait-ms", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--max-queue-wait-ms");
        assertThatThrownBy(() -> parse("server", "--api-threads", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--api-threads");
        assertThatThrownBy(() -> parse("server", "--max-queued-requests", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--max-queued-requests");
        assertThatThrownBy(() -> parse("server", "--max-connections", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--max-connections");
        assertThatThrownBy(() -> parse("server", "--body-budget-bytes", "1000").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--body-budget-bytes");
        assertThatThrownBy(() -> parse("server", "--header-timeout-ms", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--header-timeout-ms");
    }

    @Test
    void helpDescribesEveryHttpLimit() {
        StringWriter out = new StringWriter();
        CommandLine cl = MillraceMain.commandLine();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("server", "--help")).isZero();
        assertThat(out.toString()).contains("--max-connections", "--idle-timeout-ms", "--header-timeout-ms",
                "--body-timeout-ms", "--http2-max-streams", "--http2-window-bytes", "--body-budget-bytes");
    }

    @Test
    void durabilityIsCaseInsensitive() {
        assertThat(parse("server", "--durability", "SYNC").config().logConfig().durability())
                .isEqualTo(DurabilityPolicy.SYNC);
    }

    @Test
    void outOfRangeValuesAreUsageErrors() {
        assertThatThrownBy(() -> parse("server", "--port", "70000").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--port");
        assertThatThrownBy(() -> parse("server", "--transition-delay-ms", "-1").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--transition-delay-ms");
        assertThatThrownBy(() -> parse("server", "--shard-limit", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--shard-limit");
        assertThatThrownBy(() -> parse("server", "--max-open-files", "3").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--max-open-files");
    }

    @Test
    void usageErrorsExitWithTwo() {
        CommandLine cl = MillraceMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("server", "--durability", "sometimes")).isEqualTo(2);
        assertThat(err.toString()).contains("--durability");
        assertThat(MillraceMain.commandLine().setErr(new PrintWriter(new StringWriter())).execute()).isEqualTo(2);
        assertThat(MillraceMain.commandLine().setErr(new PrintWriter(new StringWriter())).execute("nope"))
                .isEqualTo(2);
    }

    @Test
    void dataDirLockIsExclusive(@TempDir Path dir) throws Exception {
        try (DataDirLock lock = DataDirLock.acquire(dir)) {
            assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(DataDirLock.HeldException.class);
        }
        DataDirLock.acquire(dir).close();
    }

    @Test
    void ipv6HostsAreBracketedInUrls() {
        assertThat(ServerCommand.urlHost("::1")).isEqualTo("[::1]");
        assertThat(ServerCommand.urlHost("127.0.0.1")).isEqualTo("127.0.0.1");
    }

    @Test
    void tlsCertificateWithoutTlsPortIsAUsageError() {
        CommandLine cl = MillraceMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("server", "--tls-cert", "a.crt", "--tls-key", "a.key")).isEqualTo(2);
        assertThat(err.toString()).contains("add --tls-port");
    }

    @Test
    void unwritableDataDirIsOneLineOnStderr(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", file.toString()),
                "cannot use data dir " + file + " (exists and is not a directory)", "--data-dir");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", file.resolve("data").toString()),
                "cannot use data dir " + file.resolve("data") + " (", "--data-dir");

        Path readOnly = unwritableDirectory(dir);
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", readOnly.toString()),
                "cannot use data dir " + readOnly + " (", "--data-dir");
    }

    @Test
    void dataDirOfAnotherNodeIsOneLineOnStderr(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (DataDirLock held = DataDirLock.acquire(data)) {
            assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", data.toString()),
                    "is in use by another Millrace process", "choose another --data-dir");
        }
    }

    @Test
    void missingTlsFilesAreOneLineOnStderr(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path cert = dir.resolve("missing.crt");
        Path key = dir.resolve("missing.key");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", data.toString(), "--tls-port", "0",
                "--tls-cert", cert.toString(), "--tls-key", key.toString()),
                "--tls-cert " + cert + ": no such file", "leave out --tls-cert and --tls-key");
        assertThat(data).as("nothing is created before the options are found wanting").doesNotExist();

        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", data.toString(), "--tls-port", "0",
                "--tls-cert", cert.toString(), "--tls-key", key.toString()),
                "--tls-key " + key + ": no such file", "PKCS#8 PEM private key");

        Files.writeString(key, "not a key");
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", data.toString(), "--tls-port", "0",
                "--tls-cert", cert.toString(), "--tls-key", key.toString()),
                "cannot set up the TLS port: cannot use certificate chain " + cert, "check --tls-cert and --tls-key");
    }

    @Test
    void aServerOthersCanReachMustBeToldWhoMayCallIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        assertOneLineProblem(runServer(dir, "--port", "0", "--host", "0.0.0.0", "--data-dir", data.toString()),
                "--host 0.0.0.0 lets other machines reach this server", "--auth sigv4 --identities FILE",
                "--auth none");
        assertThat(data).as("refused before anything is created").doesNotExist();
        assertOneLineProblem(runServer(dir, "--port", "0", "--auth", "sigv4", "--data-dir", data.toString()),
                "--auth sigv4 needs --identities FILE");
        assertOneLineProblem(runServer(dir, "--port", "0", "--auth", "maybe", "--data-dir", data.toString()),
                "--auth must be sigv4 or none, not maybe");
        Path identities = Files.writeString(dir.resolve("identities.json"), "{\"identities\": [{\"name\": \"p\", "
                + "\"accountId\": \"111122223333\", \"accessKeyId\": \"AKIAEXAMPLE00000001\", \"secretAccessKey\": "
                + "\"s\", \"policy\": \"admin\"}]}");
        assertOneLineProblem(runServer(dir, "--port", "0", "--auth", "sigv4", "--identities", identities.toString(),
                "--data-dir", data.toString()), identities.toString(), "policy");
        assertOneLineProblem(runServer(dir, "--port", "0", "--auth", "none", "--identities", identities.toString(),
                "--data-dir", data.toString()), "--identities is for --auth sigv4");

        assertThat(parse("server").security()).isEqualTo(SecurityConfig.NONE);
        assertThat(parse("server", "--host", "localhost").security()).isEqualTo(SecurityConfig.NONE);
        assertThat(parse("server", "--host", "0.0.0.0", "--auth", "none").security()).isEqualTo(SecurityConfig.NONE);
        assertThat(ServerCommand.isLoopback("::1")).isTrue();
        assertThat(ServerCommand.isLoopback("0.0.0.0")).isFalse();
    }

    @Test
    void portInUseIsOneLineOnStderr(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String port = Integer.toString(taken.getLocalPort());
            assertOneLineProblem(runServer(dir, "--port", port, "--data-dir", dir.resolve("a").toString()),
                    "port " + port + " on 127.0.0.1 is already in use (--port)", "choose another port with --port");
            assertOneLineProblem(runServer(dir, "--port", "0", "--tls-port", port, "--data-dir",
                            dir.resolve("b").toString()),
                    "TLS port " + port + " on 127.0.0.1 is already in use (--tls-port)",
                    "choose another port with --tls-port");
        }
    }

    /**
     * A directory this process cannot make files in: one without write permission, or for root, whom permissions do
     * not stop, a sysfs directory, where not even root can. Checked before use, so the test stands on what it claims.
     */
    private static Path unwritableDirectory(Path dir) throws IOException {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path chosen = canCreateFileIn(readOnly) ? Path.of("/sys/kernel") : readOnly;
        assertThat(canCreateFileIn(chosen)).as("%s takes no new files", chosen).isFalse();
        return chosen;
    }

    private static boolean canCreateFileIn(Path dir) {
        try {
            Files.delete(Files.createTempFile(dir, "probe", ".tmp"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Exit status 1, one line on stderr holding each of {@code parts}, and no stack trace anywhere. */
    static void assertOneLineProblem(Outcome outcome, String... parts) {
        assertThat(outcome.exitCode()).as("exit status; stderr: %s", outcome.stderr()).isEqualTo(1);
        assertThat(outcome.stderr().lines().toList()).as("stderr").singleElement().satisfies(line -> {
            assertThat(line).startsWith("millrace: ");
            assertThat(line).contains(parts);
        });
        assertThat(outcome.stdout()).as("stdout").doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** Runs {@code millrace server ARGS} in a JVM of its own with this test's class path. */
    static Outcome runServer(Path work, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), MillraceMain.class.getName(), "server"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "stdout", ".txt");
        Path err = Files.createTempFile(work, "stderr", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            fail("millrace server %s still running after %d s: %s", String.join(" ", args), CHILD_TIMEOUT_S,
                    Files.readString(out));
        }
        return new Outcome(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
