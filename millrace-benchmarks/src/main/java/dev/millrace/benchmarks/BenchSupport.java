package dev.millrace.benchmarks;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.KeyUnavailableException;
import dev.millrace.storage.log.FileUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Helpers shared by the benchmarks: scratch directories and record batches.
 *
 * <p>Scratch directories go under the system property {@code millrace.bench.dir} (default: {@code java.io.tmpdir}),
 * which must be on the disk being measured, not a tmpfs: the append benchmarks measure fsync.
 *
 * <p>Stateless, thread-safe.
 */
final class BenchSupport {
    private BenchSupport() {
    }

    /** A fresh, empty directory for one benchmark trial. */
    static Path newDataDir(String prefix) {
        Path base = Paths.get(System.getProperty("millrace.bench.dir", System.getProperty("java.io.tmpdir")));
        try {
            Files.createDirectories(base);
            return Files.createTempDirectory(base, "millrace-bench-" + prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory made by {@link #newDataDir}; tolerates {@code null} and a missing tree. */
    static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            FileUtil.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A batch of {@code count} records of {@code dataBytes} random bytes each, with short partition keys. The log copies
     * what it stores, so one batch can be appended again and again.
     */
    static List<AppendRecord> batch(int count, int dataBytes, long seed) {
        Random random = new Random(seed);
        List<AppendRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[dataBytes];
            random.nextBytes(data);
            records.add(new AppendRecord("pk-" + (i % 64), data));
        }
        return List.copyOf(records);
    }

    /** The key encrypting benchmarks write with: fixed material, so a run can be repeated byte for byte. */
    static DataKey dataKey() {
        byte[] material = new byte[DataKey.KEY_BYTES];
        new Random(16).nextBytes(material);
        return new DataKey("bench-key", material);
    }

    /** A key ring holding {@link #dataKey()}. */
    static KeyRing keyRing() {
        DataKey key = dataKey();
        return keyId -> {
            if (!keyId.equals(key.keyId())) {
                throw new KeyUnavailableException(keyId, KeyUnavailableException.Reason.NOT_FOUND);
            }
            return key;
        };
    }

    /** Payload bytes of a batch: what the MB/s figures count (keys and framing are not counted). */
    static long payloadBytes(List<AppendRecord> batch) {
        long total = 0;
        for (AppendRecord r : batch) {
            total += r.data().length;
        }
        return total;
    }
}
