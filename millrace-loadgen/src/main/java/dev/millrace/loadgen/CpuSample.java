package dev.millrace.loadgen;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * CPU time used so far by this JVM and, if one is watched, by the server process, at one moment.
 *
 * @param generatorCpuNanos this JVM's CPU time (all threads, user + system), from the platform MXBean
 * @param generatorJitCpuNanos the part of it used by the JIT compiler threads (Linux only; -1 elsewhere): a
 *                             generator still compiling the SDK's code is not yet warm
 * @param serverCpuNanos    the server's utime + stime from {@code /proc/PID/stat}, or -1 when no server is watched
 *
 * <p>Immutable.
 */
record CpuSample(long wallNanos, long generatorCpuNanos, long generatorJitCpuNanos, long serverCpuNanos) {
    private static final List<String> JIT_THREADS = List.of("C1 CompilerThre", "C2 CompilerThre");

    /** {@code self}: this JVM's /proc entry, or null where there is none. */
    static CpuSample take(ProcStats self, ProcStats server) {
        long serverCpu = server == null ? -1 : server.cpuNanos();
        long jitCpu = self == null ? -1 : self.threadsCpuNanos(JIT_THREADS);
        return new CpuSample(System.nanoTime(), currentGeneratorCpuNanos(), jitCpu, serverCpu);
    }

    static long currentGeneratorCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long cpu = os.getProcessCpuTime();
            if (cpu >= 0) {
                return cpu;
            }
        }
        throw new IllegalStateException("this JVM does not report its process CPU time");
    }
}
