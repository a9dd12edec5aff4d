package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The child process of {@link KillNineTest}: appends batches to a few shards from several threads until it is killed,
 * and prints a line for every acknowledged batch.
 *
 * <p>Every record names itself in its partition key ({@code r<round>.w<writer>.b<seq>.i<index>/<count>} plus a
 * non-ASCII tail) and its hash key and payload are derived from those numbers, so the parent can rebuild the exact
 * record from the key alone and tell every record in the log apart, acknowledged or not.
 *
 * <p>Usage: {@code KillNineWriter <dataDir> <round> <maxSeconds>}. Output lines:
 * <pre>
 * ACK &lt;round&gt; &lt;writer&gt; &lt;seq&gt; &lt;basePosition&gt; &lt;count&gt; &lt;arrivalMs&gt;
 * UNREADABLE &lt;round&gt; &lt;writer&gt; &lt;seq&gt; &lt;what the read returned&gt;
 * </pre>
 */
final class KillNineWriter {
    static final int WRITERS = 4;
    static final String[] SHARDS = {"kill-0", "kill-1", "kill-2"};
    private static final Pattern KEY = Pattern.compile("r(\\d+)\\.w(\\d+)\\.b(\\d+)\\.i(\\d+)/(\\d+)-.*");
    private static final String[] KEY_TAILS = {"ключ", "🔑", "中文", "é", "x"};

    private KillNineWriter() {
    }

    /** The configuration both processes use: small segments, so kills also land around rolls. */
    static LogConfig config(Path dir) {
        return LogConfig.defaults(dir).withSegmentBytes(512 * 1024).withIndexIntervalBytes(4096);
    }

    /** Writers 0 and 3 share the first shard, so its appends also race each other and share fsyncs. */
    static String shardOf(int writer) {
        return SHARDS[writer % SHARDS.length];
    }

    /** The identity of one record, as encoded in its partition key. */
    record Id(int round, int writer, int seq, int index, int count) implements Comparable<Id> {
        static Id parse(String partitionKey) {
            Matcher m = KEY.matcher(partitionKey);
            if (!m.matches()) {
                return null;
            }
            return new Id(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
        }

        /** Order within one writer: by round, then batch, then index. */
        @Override
        public int compareTo(Id o) {
            int c = Integer.compare(round, o.round);
            if (c == 0) {
                c = Integer.compare(seq, o.seq);
            }
            return c != 0 ? c : Integer.compare(index, o.index);
        }

        @Override
        public String toString() {
            return "r" + round + ".w" + writer + ".b" + seq + ".i" + index + "/" + count;
        }
    }

    /** The batch a writer appends as its {@code seq}-th of a round: the same on every call. */
    static List<AppendRecord> batch(int round, int writer, int seq) {
        SplittableRandom random = new SplittableRandom(((long) round << 40) ^ ((long) writer << 32) ^ seq);
        int count = random.nextInt(10) == 0 ? 1 + random.nextInt(60) : 1 + random.nextInt(6);
        List<AppendRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String key = new Id(round, writer, seq, i, count) + "-" + KEY_TAILS[random.nextInt(KEY_TAILS.length)];
            String hashKey = random.nextBoolean() ? null
                    : new BigInteger(128, new java.util.Random(random.nextLong())).toString();
            int roll = random.nextInt(1_000);
            // Mostly small records; now and then one large enough that a kill can land inside its write.
            int size = roll < 900 ? random.nextInt(1_000)
                    : roll < 997 ? 1_000 + random.nextInt(7_000)
                    : 64 * 1024 + random.nextInt(1024 * 1024);
            byte[] data = new byte[size];
            random.nextBytes(data);
            records.add(new AppendRecord(key, hashKey, data));
        }
        return records;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        long deadline = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        EmbeddedLogStore store = EmbeddedLogStore.open(config(dir), Clock.systemUTC());
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            ShardLog log = store.openOrCreate(shardOf(writer));
            Thread t = new Thread(() -> {
                for (int seq = 0; System.nanoTime() < deadline; seq++) {
                    List<AppendRecord> batch = batch(round, writer, seq);
                    AppendResult result = log.append(batch);
                    String problem = checkReadable(log, result, batch);
                    synchronized (out) {
                        if (problem != null) {
                            out.println("UNREADABLE " + round + " " + writer + " " + seq + " " + problem);
                        }
                        out.println("ACK " + round + " " + writer + " " + seq + " " + result.basePosition() + " "
                                + result.recordCount() + " " + result.arrivalMsOf(0));
                        out.flush();
                        if (out.checkError()) {
                            // The parent is gone: stop rather than write forever.
                            Runtime.getRuntime().halt(3);
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
        // Normally killed long before this.
        store.close();
        out.println("DONE");
        out.flush();
    }

    /** Acknowledged means readable: reads the batch back at once. Returns what was wrong, or null. */
    private static String checkReadable(ShardLog log, AppendResult result, List<AppendRecord> batch) {
        ReadResult read = log.read(result.basePosition(), batch.size(), Long.MAX_VALUE);
        List<StoredRecord> records = read.records();
        if (records.size() != batch.size()) {
            return "read(" + result.basePosition() + ") returned " + records.size() + " of " + batch.size()
                    + " records, next " + read.nextPosition() + ", end " + read.endPosition();
        }
        for (int i = 0; i < records.size(); i++) {
            StoredRecord r = records.get(i);
            if (r.position() != result.basePosition() + i
                    || !r.partitionKey().equals(batch.get(i).partitionKey())
                    || !Arrays.equals(r.data(), batch.get(i).data())) {
                return "record " + i + " differs: position " + r.position() + ", key " + r.partitionKey();
            }
        }
        return null;
    }
}
