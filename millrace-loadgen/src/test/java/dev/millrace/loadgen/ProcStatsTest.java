package dev.millrace.loadgen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Parsing of {@code /proc/PID/stat} and {@code /proc/PID/status} against sample text (from a JVM on Linux 6.1), and
 * the conversion of clock ticks to time.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class ProcStatsTest {
    /** utime 1234, stime 567. */
    static final String STAT = "26784 (java) S 1 26783 26783 0 -1 4194560 109716 0 3 0 1234 567 0 0 20 0 52 0 "
            + "935713 4133048320 110021 18446744073709551615 94613419798528 94613419799400 140726285420352 0 0 0 0 "
            + "0 16800975 0 0 0 17 1 0 0 0 0 0 94613419810224 94613419810896 94613427867648 140726285425890 "
            + "140726285426046 140726285426046 140726285430745 0\n";
    static final String STATUS = "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t26784\n"
            + "VmPeak:\t 4036180 kB\nVmSize:\t 4036180 kB\nVmLck:\t       0 kB\nVmHWM:\t  430296 kB\n"
            + "VmRSS:\t  401112 kB\nRssAnon:\t  380000 kB\nThreads:\t52\n";

    @Test
    void shouldAddUserAndSystemTicks() {
        assertThat(ProcStats.cpuTicks(STAT)).isEqualTo(1234 + 567);
    }

    @Test
    void shouldCountFieldsFromTheLastParenthesisWhenTheCommandHasSpacesAndParentheses() {
        String odd = STAT.replace("(java)", "(my (odd) server 1)");
        assertThat(ProcStats.cpuTicks(odd)).isEqualTo(1234 + 567);
    }

    @Test
    void shouldRejectTextThatIsNotAStatLine() {
        assertThatThrownBy(() -> ProcStats.cpuTicks("no parenthesis here")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStats.cpuTicks("1 (x) S 1 2")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReadPeakAndCurrentResidentSetInKib() {
        assertThat(ProcStats.statusKib(STATUS, "VmHWM")).isEqualTo(430296);
        assertThat(ProcStats.statusKib(STATUS, "VmRSS")).isEqualTo(401112);
        // "VmRSS" must not match "RssAnon" or a longer name that starts the same.
        assertThatThrownBy(() -> ProcStats.statusKib(STATUS, "VmSwap")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldParseTheClockTickRate() {
        assertThat(ProcStats.parseClockTicks("100\n")).isEqualTo(100);
        assertThatThrownBy(() -> ProcStats.parseClockTicks("0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStats.parseClockTicks("undefined")).isInstanceOf(NumberFormatException.class);
    }

    @Test
    void shouldConvertTicksToNanosecondsAtTheGivenRate(@TempDir Path proc) throws IOException {
        Files.createDirectories(proc.resolve("42"));
        Files.writeString(proc.resolve("42/stat"), STAT);
        Files.writeString(proc.resolve("42/status"), STATUS);
        assertThat(new ProcStats(42, 100, proc).cpuNanos()).isEqualTo(18_010_000_000L);
        assertThat(new ProcStats(42, 250, proc).cpuNanos()).isEqualTo(7_204_000_000L);
        assertThat(new ProcStats(42, 100, proc).peakRssKib()).isEqualTo(430296);
    }

    @Test
    void shouldAddUpTheCpuTimeOfTheNamedThreads(@TempDir Path proc) throws IOException {
        thread(proc, 101, "C2 CompilerThre", 300, 20);
        thread(proc, 102, "C1 CompilerThre", 5, 1);
        thread(proc, 103, "bench-sender-0", 700, 90);
        thread(proc, 104, "a (C2 CompilerThre)", 1000, 1000);
        assertThat(new ProcStats(42, 100, proc).threadsCpuNanos(java.util.List.of("C1 CompilerThre",
                "C2 CompilerThre"))).isEqualTo(3_260_000_000L);
        assertThat(ProcStats.commandName(STAT.replace("(java)", "(my (odd) name)"))).isEqualTo("my (odd) name");
    }

    private static void thread(Path proc, int tid, String name, long utime, long stime) throws IOException {
        Path task = proc.resolve("42/task/" + tid);
        Files.createDirectories(task);
        Files.writeString(task.resolve("stat"), STAT.replace("(java)", "(" + name + ")")
                .replace(" 1234 567 ", " " + utime + " " + stime + " "));
    }

    @Test
    void shouldFailClearlyForAProcessThatDoesNotExist(@TempDir Path proc) {
        assertThatThrownBy(() -> new ProcStats(7, 100, proc).cpuNanos())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no process 7");
    }

    @Test
    void shouldReadThisJvmOnLinux() {
        if (!Files.isDirectory(Path.of("/proc/self"))) {
            return;
        }
        ProcStats self = ProcStats.of(ProcessHandle.current().pid());
        assertThat(self.clockTicksPerS()).isPositive();
        assertThat(self.cpuNanos()).isPositive();
        // Read one after the other, the two can be a page apart in either order; both must be there.
        assertThat(self.rssKib()).isPositive();
        assertThat(self.peakRssKib()).isPositive();
    }
}
