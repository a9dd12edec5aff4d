package dev.millrace.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Counts record payload bytes moved, reported by JMH next to the primary score as
 * {@code <benchmark>:payloadBytes} in "ops/s", which here means <em>bytes per second</em> (summed over threads).
 * Divide by 10^6 for MB/s.
 *
 * <p>One instance per benchmark thread.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class PayloadCounter {
    public long payloadBytes;

    @Setup(Level.Iteration)
    public void reset() {
        payloadBytes = 0;
    }
}
