package dev.millrace.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Not an engine benchmark: the disk's ceiling for {@link AppendBenchmark}. One thread appends {@code writeBytes}
 * (default 500 x ~1 KiB, the size of one encoded 500-record batch) to a plain file with a positional write from a
 * direct buffer, then {@code force(false)} (fdatasync), exactly the system calls a {@code SYNC} append needs, without
 * any engine code. The file is truncated to zero every 64 MiB, like a segment roll, so it never grows without bound.
 *
 * <p>No target: its {@code :payloadBytes} (bytes/s) is the most {@code AppendBenchmark.oneShard} can reach here.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
@State(Scope.Benchmark)
public class FsyncBaselineBenchmark {
    private static final long ROLL_BYTES = 64L * 1024 * 1024;

    @Param("516000")
    public int writeBytes;

    private Path dir;
    private FileChannel channel;
    private ByteBuffer buffer;
    private long offset;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = BenchSupport.newDataDir("fsync");
        channel = FileChannel.open(dir.resolve("baseline.log"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        byte[] bytes = new byte[writeBytes];
        ThreadLocalRandom.current().nextBytes(bytes);
        buffer = ByteBuffer.allocateDirect(writeBytes);
        buffer.put(bytes).flip();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try {
            channel.close();
        } finally {
            BenchSupport.delete(dir);
        }
    }

    @Benchmark
    public long writeAndForce(PayloadCounter counter) throws IOException {
        if (offset + writeBytes > ROLL_BYTES) {
            channel.truncate(0);
            offset = 0;
        }
        ByteBuffer src = buffer.duplicate();
        while (src.hasRemaining()) {
            offset += channel.write(src, offset);
        }
        channel.force(false);
        counter.payloadBytes += writeBytes;
        return offset;
    }
}
