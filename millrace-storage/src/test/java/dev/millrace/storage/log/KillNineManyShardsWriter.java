package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.PendingAppend;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The child process of {@link KillNineManyShardsTest}: several threads each make calls that append one batch to each
 * of several shards at once, as the server's RecordWriter does (begin every batch, then await them), and print a line
 * per acknowledged batch once the whole call is acknowledged. Every force the engine makes is journaled
 * ({@link PowerLossDisk}), so that the parent can also cut the files as a power loss would.
 *
 * <p>Every record names itself in its partition key ({@code r<round>.w<writer>.c<call>.g<group>.i<index>/<count>}) and
 * its payload is derived from those numbers, so the parent can rebuild each record from its key alone.
 *
 * <p>Usage: {@code KillNineManyShardsWriter <dataDir> <journal> <round> <maxSeconds>}. Output lines:
 * {@code ACK <round> <writer> <call> <group> <shard> <basePosition> <count> <arrivalMs>}.
 */
final class KillNineManyShardsWriter {
    static final int WRITERS = 4;
    static final int SHARDS = 120;
    static final int SHARDS_PER_CALL = 8;
    private static final Pattern KEY = Pattern.compile("r(\\d+)\\.w(\\d+)\\.c(\\d+)\\.g(\\d+)\\.i(\\d+)/(\\d+)");

    private KillNineManyShardsWriter() {
    }

    /** Small files: kills land around segment rolls, WAL rolls and WAL cleans. */
    static LogConfig config(Path dir) {
        return LogConfig.defaults(dir).withSegmentBytes(128 * 1024).withIndexIntervalBytes(4096)
                .withWal(256 * 1024, 200);
    }

    static String shard(int index) {
        return String.format("many-%03d", index);
    }

    /** The identity of one record, as encoded in its partition key. */
    record Id(int round, int writer, int call, int group, int index, int count) {
        static Id parse(String partitionKey) {
            Matcher m = KEY.matcher(partitionKey);
            if (!m.matches()) {
                return null;
            }
            return new Id(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)));
        }

        @Override
        public String toString() {
            return "r" + round + ".w" + writer + ".c" + call + ".g" + group + ".i" + index + "/" + count;
        }
    }

    /** The shards a call appends to, in its group order: the same on every call with these numbers. */
    static List<Integer> shardsOf(int round, int writer, int call) {
        SplittableRandom random = new SplittableRandom(((long) round << 40) ^ ((long) writer << 32) ^ call);
        Set<Integer> shards = new LinkedHashSet<>();
        while (shards.size() < SHARDS_PER_CALL) {
            shards.add(random.nextInt(SHARDS));
        }
        return new ArrayList<>(shards);
    }

    /** The batch of group {@code group} of a call. */
    static List<AppendRecord> batch(int round, int writer, int call, int group) {
        SplittableRandom random = new SplittableRandom(((long) round << 44) ^ ((long) writer << 36)
                ^ ((long) call << 8) ^ group ^ 0x5DEECE66DL);
        int count = 1 + random.nextInt(4);
        List<AppendRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(10) == 0 ? 2_000 + random.nextInt(20_000) : random.nextInt(600)];
            random.nextBytes(data);
            records.add(new AppendRecord(new Id(round, writer, call, group, i, count).toString(), null, data));
        }
        return records;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        PowerLossDisk disk = new PowerLossDisk(Path.of(args[1]));
        int round = Integer.parseInt(args[2]);
        long deadline = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).withChannels(disk), Clock.systemUTC());
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                for (int call = 0; System.nanoTime() < deadline; call++) {
                    List<Integer> shards = shardsOf(round, writer, call);
                    List<PendingAppend> begun = new ArrayList<>();
                    for (int g = 0; g < shards.size(); g++) {
                        begun.add(store.openOrCreate(shard(shards.get(g))).begin(batch(round, writer, call, g), null));
                    }
                    StringBuilder lines = new StringBuilder();
                    for (int g = 0; g < begun.size(); g++) {
                        AppendResult r = begun.get(g).await();
                        lines.append("ACK ").append(round).append(' ').append(writer).append(' ').append(call)
                                .append(' ').append(g).append(' ').append(shard(shards.get(g))).append(' ')
                                .append(r.basePosition()).append(' ').append(r.recordCount()).append(' ')
                                .append(r.arrivalMsOf(0)).append('\n');
                    }
                    synchronized (out) {
                        out.print(lines);
                        out.flush();
                        if (out.checkError()) {
                            Runtime.getRuntime().halt(3); // the parent is gone
                        }
                    }
                }
            }, "writer-" + writer);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        store.close();
        out.println("DONE");
        out.flush();
    }
}
