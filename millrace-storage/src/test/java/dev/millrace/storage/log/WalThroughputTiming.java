package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.PendingAppend;
import dev.millrace.storage.ShardLog;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Appends as PutRecords calls spread over many shards do, to see what the WAL and its cleaner sustain. Not a test:
 * run by hand, {@code WalThroughputTiming shards threads recordsPerCall recordBytes seconds walSegmentMiB [dir]}.
 * Prints records/s and the WAL's size on disk once a second.
 */
public final class WalThroughputTiming {
    private WalThroughputTiming() {
    }

    public static void main(String[] args) throws Exception {
        int shards = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        int perCall = Integer.parseInt(args[2]);
        int recordBytes = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        long walSegmentBytes = Long.parseLong(args[5]) * 1024 * 1024;
        Path dir = args.length > 6 ? Path.of(args[6]) : Files.createTempDirectory("wal-throughput");
        LogConfig config = LogConfig.defaults(dir).withWal(walSegmentBytes, LogConfig.WAL_CLEAN_INTERVAL_MS_DEFAULT);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config, Clock.systemUTC())) {
            List<ShardLog> logs = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                logs.add(store.openOrCreate(String.format("tp-%05d", s)));
            }
            AtomicLong records = new AtomicLong();
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SplittableRandom random = new SplittableRandom(t);
                Thread w = new Thread(() -> {
                    while (System.nanoTime() < deadline) {
                        List<List<AppendRecord>> groups = new ArrayList<>();
                        List<ShardLog> targets = new ArrayList<>();
                        java.util.Map<Integer, List<AppendRecord>> byShard = new java.util.HashMap<>();
                        for (int i = 0; i < perCall; i++) {
                            byShard.computeIfAbsent(random.nextInt(shards), k -> new ArrayList<>())
                                    .add(new AppendRecord("k", null, new byte[recordBytes]));
                        }
                        byShard.forEach((s, batch) -> {
                            targets.add(logs.get(s));
                            groups.add(batch);
                        });
                        List<PendingAppend> begun = new ArrayList<>();
                        for (int g = 0; g < groups.size(); g++) {
                            begun.add(targets.get(g).begin(groups.get(g), null));
                        }
                        begun.forEach(PendingAppend::await);
                        records.addAndGet(perCall);
                    }
                });
                workers.add(w);
                w.start();
            }
            long last = 0;
            for (int s = 0; s < seconds; s++) {
                Thread.sleep(1000);
                long now = records.get();
                System.out.printf("t=%ds %,d records/s, WAL %,d MiB%n", s + 1, now - last, walBytes(dir) >> 20);
                last = now;
            }
            for (Thread w : workers) {
                w.join();
            }
            System.out.printf("average %,d records/s%n", records.get() / seconds);
        }
    }

    private static long walBytes(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve(WriteAheadLog.DIR_NAME))) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
