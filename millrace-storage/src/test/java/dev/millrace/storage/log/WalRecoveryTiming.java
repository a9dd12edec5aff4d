package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.PendingAppend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * How long a store takes to start after a crash whose WAL tail touches many shards (issue 20 asks for 10,000 shards in
 * at most 5 s). Not a test: run by hand, {@code WalRecoveryTiming [shards] [batchesPerShard] [dir]}. Writes one WAL
 * tail that holds {@code batchesPerShard} batches of every shard (the WAL is never cleaned while it writes), abandons
 * the store as a kill would, then times: opening the store (reading and indexing the WAL), opening every shard (each
 * replays its entries on first use), and the first clean (forcing every replayed shard, then deleting the WAL).
 */
public final class WalRecoveryTiming {
    private WalRecoveryTiming() {
    }

    public static void main(String[] args) throws Exception {
        int shards = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("wal-timing");
        LogConfig config = LogConfig.defaults(dir).withMaxOpenFiles(512).withWal(1L << 30, 3_600_000);
        List<AppendRecord> batch = List.of(new AppendRecord("pk", null, new byte[200]),
                new AppendRecord("pk", null, new byte[200]));
        long t0 = System.nanoTime();
        EmbeddedLogStore store = EmbeddedLogStore.open(config, Clock.systemUTC());
        for (int b = 0; b < batches; b++) {
            List<PendingAppend> begun = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                begun.add(store.openOrCreate(key(s)).begin(batch, null));
                if (begun.size() == 500) {
                    begun.forEach(PendingAppend::await);
                    begun.clear();
                }
            }
            begun.forEach(PendingAppend::await);
        }
        long walBytes = 0;
        for (Path f : WriteAheadLog.listFiles(dir.resolve(WriteAheadLog.DIR_NAME))) {
            walBytes += Files.size(f);
        }
        store.abandon();
        System.out.printf("wrote %d shards x %d batches (%d WAL bytes) in %d ms%n", shards, batches, walBytes,
                (System.nanoTime() - t0) / 1_000_000);

        long t1 = System.nanoTime();
        EmbeddedLogStore reopened = EmbeddedLogStore.open(config, Clock.systemUTC());
        long openMs = (System.nanoTime() - t1) / 1_000_000;
        long t2 = System.nanoTime();
        long records = 0;
        for (int s = 0; s < shards; s++) {
            records += reopened.openOrCreate(key(s)).endPosition() > 0 ? 1 : 0;
        }
        long firstUseMs = (System.nanoTime() - t2) / 1_000_000;
        long t3 = System.nanoTime();
        reopened.close();
        long closeMs = (System.nanoTime() - t3) / 1_000_000;
        System.out.printf("open after the kill: %d ms; opening all %d shards (replay on first use): %d ms "
                + "(%d non-empty); clean close (forces every shard): %d ms%n", openMs, shards, firstUseMs, records,
                closeMs);
    }

    private static String key(int s) {
        return String.format("t-%05d", s);
    }
}
