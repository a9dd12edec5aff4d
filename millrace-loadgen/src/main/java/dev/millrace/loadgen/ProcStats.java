package dev.millrace.loadgen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another process's CPU time and peak memory, from Linux's {@code /proc/PID/stat} and {@code /proc/PID/status}
 * (proc(5)). The parsing is separate from the reading so that it can be tested against sample text.
 *
 * <p>Thread-safe: immutable.
 */
public final class ProcStats {
    private final long pid;
    private final long clockTicksPerS;
    private final Path proc;

    ProcStats(long pid, long clockTicksPerS, Path proc) {
        this.pid = pid;
        this.clockTicksPerS = clockTicksPerS;
        this.proc = proc;
    }

    /**
     * For process {@code pid}; fails at once if it cannot be read (no such process, not Linux), so that a run does
     * not end without the numbers it was asked for.
     */
    public static ProcStats of(long pid) {
        ProcStats stats = new ProcStats(pid, systemClockTicksPerS(), Path.of("/proc"));
        stats.cpuNanos();
        stats.peakRssKib();
        return stats;
    }

    public long pid() {
        return pid;
    }

    public long clockTicksPerS() {
        return clockTicksPerS;
    }

    /** The process's user + system CPU time so far, all threads, in nanoseconds (resolution: one clock tick). */
    public long cpuNanos() {
        long ticks = cpuTicks(read("stat"));
        return ticks * TimeUnit.SECONDS.toNanos(1) / clockTicksPerS;
    }

    /**
     * CPU time so far of the process's threads whose name starts with one of {@code namePrefixes} (from
     * {@code /proc/PID/task/TID/stat}), in nanoseconds; threads that end while being read are skipped.
     */
    public long threadsCpuNanos(List<String> namePrefixes) {
        Path tasks = proc.resolve(Long.toString(pid)).resolve("task");
        long ticks = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                } catch (NoSuchFileException e) {
                    continue; // the thread ended between the listing and the read
                }
                String name = commandName(stat);
                if (namePrefixes.stream().anyMatch(name::startsWith)) {
                    ticks += cpuTicks(stat);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tasks, e);
        }
        return ticks * TimeUnit.SECONDS.toNanos(1) / clockTicksPerS;
    }

    /** VmHWM: the process's peak resident set since it started, in KiB (not since the run started). */
    public long peakRssKib() {
        return statusKib(read("status"), "VmHWM");
    }

    /** VmRSS: the process's resident set now, in KiB. */
    public long rssKib() {
        return statusKib(read("status"), "VmRSS");
    }

    private String read(String file) {
        Path path = proc.resolve(Long.toString(pid)).resolve(file);
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("cannot read " + path + ": no process " + pid
                    + " (or this is not Linux)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /**
     * utime + stime (fields 14 and 15) of a {@code /proc/PID/stat} line, in clock ticks. Field 2, the command name,
     * is in parentheses and may itself hold spaces and parentheses, so fields are counted from the last ')'.
     */
    static long cpuTicks(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + statLine);
        }
        String[] fields = statLine.substring(close + 1).trim().split("\\s+");
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.length < 13) {
            throw new IllegalArgumentException("too few fields in /proc/PID/stat line: " + statLine);
        }
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    /** Field 2 of a {@code /proc/PID/stat} line: the command (thread) name, without its parentheses. */
    static String commandName(String statLine) {
        int open = statLine.indexOf('(');
        int close = statLine.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + statLine);
        }
        return statLine.substring(open + 1, close);
    }

    /** The value of a {@code Name:   1234 kB} line of {@code /proc/PID/status}, in KiB. */
    static long statusKib(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
                if (parts.length != 2 || !parts[1].equals("kB")) {
                    throw new IllegalArgumentException("unexpected " + name + " line: " + line);
                }
                return Long.parseLong(parts[0]);
            }
        }
        throw new IllegalArgumentException("no " + name + " line in /proc/PID/status");
    }

    /**
     * The kernel's clock-tick rate (USER_HZ), from {@code getconf CLK_TCK}: the unit of utime and stime. Java has
     * no sysconf; guessing 100 would be right on most Linux systems and silently wrong on the rest.
     */
    static long systemClockTicksPerS() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!getconf.waitFor(10, TimeUnit.SECONDS) || getconf.exitValue() != 0) {
                throw new IllegalStateException("getconf CLK_TCK failed: " + out);
            }
            return parseClockTicks(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run getconf CLK_TCK", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running getconf CLK_TCK", e);
        }
    }

    static long parseClockTicks(String getconfOutput) {
        long ticks = Long.parseLong(getconfOutput.trim());
        if (ticks <= 0) {
            throw new IllegalArgumentException("getconf CLK_TCK printed " + getconfOutput);
        }
        return ticks;
    }
}
