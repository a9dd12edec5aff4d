package dev.millrace.loadgen;

import java.lang.management.ManagementFactory;

/**
 * CPU time used so far by this JVM and, if one is watched, by the server process, at one moment.
 *
 * @param generatorCpuNanos this JVM's CPU time (all threads, user + system), from the platform MXBean
 * @param serverCpuNanos    the server's utime + stime from {@code /proc/PID/stat}, or -1 when no server is watched
 *
 * <p>Immutable.
 */
record CpuSample(long wallNanos, long generatorCpuNanos, long serverCpuNanos) {

    static CpuSample take(ProcStats server) {
        long serverCpu = server == null ? -1 : server.cpuNanos();
        return new CpuSample(System.nanoTime(), currentGeneratorCpuNanos(), serverCpu);
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
