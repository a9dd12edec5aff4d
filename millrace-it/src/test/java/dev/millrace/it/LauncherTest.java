package dev.millrace.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code ./millrace} launcher at the repository root, as tools outside the repository use it: from any working
 * directory, with {@code --data-dir} relative to that directory; exit statuses for usage errors and a data directory
 * already in use.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class LauncherTest {
    @TempDir
    Path work;

    private static List<String> millrace(String... args) {
        List<String> command = new ArrayList<>();
        command.add(MillraceProcess.repo().resolve("millrace").toString());
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void runsTheServerFromAnyDirectoryAndStopsCleanly() throws IOException {
        assertThat(Files.isExecutable(MillraceProcess.repo().resolve("millrace"))).isTrue();
        try (MillraceProcess server = MillraceProcess.launch(millrace("server", "--port", "0", "--host",
                "127.0.0.1", "--data-dir", "./millrace-data", "--transition-delay-ms", "0"), work)) {
            server.awaitReady();
            assertThat(server.reportedDataDir()).isEqualTo(work.resolve("millrace-data").toRealPath().toString());
            try (KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
                Streams.createActive(kinesis, "launched", 1);
                assertThat(kinesis.listStreams().streamNames()).containsExactly("launched");
            }

            // A second node on the same data dir refuses to start, and the first is unharmed.
            try (MillraceProcess second = MillraceProcess.launch(millrace("server", "--port", "0",
                    "--data-dir", work.resolve("millrace-data").toString()), work)) {
                assertThat(second.waitForExit()).isEqualTo(1);
                assertThat(second.output()).contains("is in use by another Millrace process");
            }
            assertThat(server.isAlive()).isTrue();

            assertThat(server.stop()).as("exit status after SIGTERM").isZero();
            assertThat(server.output()).containsSubsequence("Received SIGTERM", "Millrace stopped");
        }
    }

    @Test
    void exactlyOneInfoLineWhenReadyAndCtrlCStopsCleanly() {
        try (MillraceProcess server = MillraceProcess.launch(millrace("server", "--port", "0", "--data-dir",
                work.resolve("d").toString()), work)) {
            server.awaitReady();
            assertThat(server.output().lines().toList()).hasSize(1).allMatch(l -> l.contains(" INFO "));
            assertThat(server.endpoint().getHost()).isEqualTo("127.0.0.1");
            org.junit.jupiter.api.Assumptions.assumeFalse(Signals.ignoresSigint(server.pid()),
                    "the server runs with SIGINT ignored (a suite started in the background), so Ctrl-C cannot be tried");
            assertThat(server.interrupt()).as("exit status after SIGINT").isZero();
            assertThat(server.output()).containsSubsequence("Received SIGINT", "Millrace stopped");
        }
    }

    @Test
    void usageErrorsExitWithTwo() {
        try (MillraceProcess bad = MillraceProcess.launch(millrace("server", "--durability", "sometimes",
                "--data-dir", work.resolve("d").toString()), work)) {
            assertThat(bad.waitForExit()).isEqualTo(2);
            assertThat(bad.output()).contains("--durability");
        }
        try (MillraceProcess bad = MillraceProcess.launch(millrace("server", "--transition-delay-ms", "-5"), work)) {
            assertThat(bad.waitForExit()).isEqualTo(2);
            assertThat(bad.output()).contains("--transition-delay-ms");
        }
        assertThat(Files.exists(work.resolve("millrace-data"))).as("nothing created on a usage error").isFalse();
        try (MillraceProcess version = MillraceProcess.launch(millrace("--version"), work)) {
            assertThat(version.waitForExit()).isZero();
            assertThat(version.output()).startsWith("millrace ");
        }
    }

    @Test
    void benchRunsTheLoadGeneratorAndTopLevelHelpListsIt() {
        try (MillraceProcess help = MillraceProcess.launch(millrace("--help"), work)) {
            assertThat(help.waitForExit()).isZero();
            assertThat(help.output()).contains("server", "bench", "./millrace bench --help");
        }
        try (MillraceProcess bench = MillraceProcess.launch(millrace("bench", "--help"), work)) {
            assertThat(bench.waitForExit()).isZero();
            assertThat(bench.output()).contains("Usage: millrace bench", "--duration-s", "--server-pid");
        }
        try (MillraceProcess bad = MillraceProcess.launch(millrace("bench", "--record-bytes", "3"), work)) {
            assertThat(bad.waitForExit()).isEqualTo(2);
            assertThat(bad.output()).contains("--record-bytes");
        }
    }
}
