package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.contract.TestKeyRing;
import dev.millrace.storage.crypto.DataKey;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A quick measurement, not a timed test: what encryption at rest costs the embedded engine, append and read, for
 * 500-record batches of 100 B and 1 KiB records. Plain and encrypted runs alternate, round after round, each on a
 * fresh shard, so that a machine shared with other work disturbs both alike; the medians are compared. Appends use
 * {@code INTERVAL} durability, so the figures show the engine's and the cipher's cost, not the disk's fsync. The JIT
 * is warmed first: the JDK's AES-GCM intrinsics take a few seconds to kick in for large batches.
 *
 * <p>Its name does not match surefire's patterns, so the build never runs it; run it with
 * {@code mvn -o -pl millrace-storage test -Dtest=EncryptionCostBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * and read target/surefire-reports/dev.millrace.storage.log.EncryptionCostBenchmark-output.txt.
 */
@Tag("benchmark")
class EncryptionCostBenchmark {
    private static final int BATCH = 500;
    private static final int ROUNDS = 7;
    private static final long APPEND_MS = 700;
    private static final long MAX_BYTES_PER_RUN = 256L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void measure() {
        TestKeyRing keys = new TestKeyRing();
        DataKey key = keys.add("bench-key");
        LogConfig config = LogConfig.defaults(dir).withDurability(DurabilityPolicy.INTERVAL,
                LogConfig.FLUSH_INTERVAL_MS_DEFAULT);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config, Clock.systemUTC(), keys)) {
            for (int size : new int[] {100, 1024}) {
                List<AppendRecord> batch = batch(size);
                for (int warm = 0; warm < 3; warm++) {
                    run(store, "warm", batch, key);
                    run(store, "warm", batch, null);
                }
                double[][] plain = new double[2][ROUNDS];
                double[][] encrypted = new double[2][ROUNDS];
                for (int round = 0; round < ROUNDS; round++) {
                    double[] p = run(store, "p" + round, batch, null);
                    double[] e = run(store, "e" + round, batch, key);
                    plain[0][round] = p[0];
                    plain[1][round] = p[1];
                    encrypted[0][round] = e[0];
                    encrypted[1][round] = e[1];
                }
                report(size, "append", plain[0], encrypted[0]);
                report(size, "read", plain[1], encrypted[1]);
            }
        }
    }

    /** Appends for a while to a fresh shard, then reads it all; returns payload MB/s of both. */
    private static double[] run(EmbeddedLogStore store, String name, List<AppendRecord> batch, DataKey key) {
        String shardKey = name + "-" + batch.get(0).data().length + (key == null ? "-plain" : "-enc");
        ShardLog log = store.openOrCreate(shardKey);
        long batchBytes = (long) BATCH * batch.get(0).data().length;
        long appended = 0;
        long started = System.nanoTime();
        while (System.nanoTime() - started < APPEND_MS * 1_000_000 && appended < MAX_BYTES_PER_RUN) {
            log.append(batch, key);
            appended += batchBytes;
        }
        double appendMbs = appended / ((System.nanoTime() - started) / 1e9) / 1e6;

        long read = 0;
        long position = 0;
        started = System.nanoTime();
        while (position < log.endPosition()) {
            ReadResult r = log.read(position, 10_000, 10L * 1024 * 1024);
            for (var record : r.records()) {
                read += record.data().length;
            }
            position = r.nextPosition();
        }
        double readMbs = read / ((System.nanoTime() - started) / 1e9) / 1e6;
        assertThat(read).isEqualTo(appended);
        store.delete(shardKey);
        return new double[] {appendMbs, readMbs};
    }

    private static void report(int size, String what, double[] plain, double[] encrypted) {
        double p = median(plain);
        double e = median(encrypted);
        System.out.printf("BENCH %-6s 500 x %4d B: plain %7.0f MB/s, encrypted %7.0f MB/s (medians of %d), "
                        + "encrypted/plain %.2f; rounds plain %s encrypted %s%n", what, size, p, e, ROUNDS, e / p,
                rounded(plain), rounded(encrypted));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String rounded(double[] values) {
        List<Long> out = new ArrayList<>();
        for (double v : values) {
            out.add(Math.round(v));
        }
        return out.toString();
    }

    private static List<AppendRecord> batch(int sizeBytes) {
        Random random = new Random(sizeBytes);
        List<AppendRecord> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            byte[] data = new byte[sizeBytes];
            random.nextBytes(data);
            batch.add(new AppendRecord("pk-" + (i % 64), data));
        }
        return batch;
    }
}
