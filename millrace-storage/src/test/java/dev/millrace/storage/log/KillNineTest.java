package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.log.KillNineWriter.Id;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Kills a writing process with SIGKILL, again and again, and checks after every kill that the log kept every
 * acknowledged record exactly once, where it was acknowledged, byte for byte.
 *
 * <p>Each round starts a fresh {@link KillNineWriter} JVM on the same directory, lets it append to three shards from
 * four threads with the default {@link DurabilityPolicy#SYNC} durability, and kills it at a random moment. This
 * process then opens the store itself (recovering what the kill left), checks everything written in all rounds so far
 * and closes it again before the next round.
 *
 * <p>A process kill keeps the page cache, so this tests recovery from torn and unacknowledged tails and the
 * acknowledged-means-readable rule, not fsync itself.
 */
class KillNineTest {
    private static final int ROUNDS = 24;
    private static final long FIRST_ACK_TIMEOUT_S = 30;
    private static final int CHILD_MAX_SECONDS = 60;

    @TempDir
    Path tmp;

    private record Ack(int round, int writer, int seq, long basePosition, int count, long arrivalMs) {
        static Ack parse(String line) {
            String[] f = line.split(" ");
            return new Ack(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                    Long.parseLong(f[4]), Integer.parseInt(f[5]), Long.parseLong(f[6]));
        }
    }

    private record WriterRound(int writer, int round) {
    }

    /** Where a record was found. */
    private record Placed(long position, Id id) {
    }

    /** Per shard, every record the previous check found, in log order: later checks must find them all again. */
    private final Map<String, List<Placed>> seen = new HashMap<>();
    private final Map<String, Long> endSeen = new HashMap<>();
    private final Map<WriterRound, Integer> lastAckedSeq = new HashMap<>();
    private int acknowledgedBatches;
    private int positionGaps;
    private int unacknowledgedBatchesKept;
    private long recordsInLog;

    @Test
    void shouldKeepEveryAcknowledgedRecordExactlyOnceAcrossRepeatedKillNine() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Path data = tmp.resolve("data");
        long started = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++) {
            Child child = Child.start(data, tmp.resolve("logs"), round);
            try {
                child.awaitFirstAck(seed);
                Thread.sleep(50 + random.nextInt(351));
            } finally {
                child.kill();
            }
            assertThat(child.unreadable).as("acknowledged batches the child could not read back (seed %s)", seed)
                    .isEmpty();
            for (Ack ack : child.acks) {
                lastAckedSeq.merge(new WriterRound(ack.writer(), ack.round()), ack.seq(), Math::max);
            }
            acknowledgedBatches += child.acks.size();
            verify(data, round, child.acks, seed);
        }
        System.out.printf("KillNineTest: seed %d, %d kills, %d acknowledged batches, %d records in the log, "
                        + "%d position gaps, %d unacknowledged batches kept, %d ms%n",
                seed, ROUNDS, acknowledgedBatches, recordsInLog, positionGaps, unacknowledgedBatchesKept,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Opens the store as recovery leaves it after the kill and checks all of it. */
    private void verify(Path data, int round, List<Ack> acks, long seed) {
        Map<WriterRound, Set<Integer>> batchesPresent = new HashMap<>();
        Map<String, Map<Long, StoredRecord>> newRecords = new HashMap<>();
        long records = 0;
        int gaps = 0;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(KillNineWriter.config(data), Clock.systemUTC())) {
            for (String shard : KillNineWriter.SHARDS) {
                String context = "shard " + shard + " after kill " + round + " (seed " + seed + ")";
                ShardLog log = store.openOrCreate(shard);
                ShardCheck check = new ShardCheck(shard, round, context, seen.getOrDefault(shard, List.of()),
                        batchesPresent);
                long position = 0;
                while (true) {
                    ReadResult result = log.read(position, 1_000, 4 * 1024 * 1024);
                    if (result.records().isEmpty()) {
                        assertThat(result.nextPosition()).as("next position of an empty read at the end, %s", context)
                                .isEqualTo(Math.max(position, log.endPosition()));
                        break;
                    }
                    for (StoredRecord r : result.records()) {
                        check.accept(r);
                    }
                    assertThat(result.nextPosition()).as(context).isEqualTo(check.last.position() + 1);
                    position = result.nextPosition();
                }
                check.finish();
                long end = log.endPosition();
                if (check.last != null) {
                    assertThat(end).as("end position of %s", context).isGreaterThan(check.last.position());
                }
                assertThat(end).as("end position of %s never goes back", context)
                        .isGreaterThanOrEqualTo(endSeen.getOrDefault(shard, 0L));
                endSeen.put(shard, end);
                seen.put(shard, check.placed);
                newRecords.put(shard, check.newRecords);
                records += check.placed.size();
                gaps += check.gaps;
            }
        }
        recordsInLog = records;
        positionGaps = gaps;
        checkAcks(acks, newRecords, round, seed);
        checkBatchesOfThisRound(batchesPresent, round, seed);
    }

    /**
     * Checks one shard's records in log order: every record is one this test's writers made, intact and only once;
     * positions strictly increase; each batch is whole and contiguous; each writer's records keep their order; arrival
     * times never go backwards; and the records the previous check found come first, unchanged and where they were.
     */
    private static final class ShardCheck {
        final String shard;
        final int round;
        final String context;
        final List<Placed> before;
        final Map<WriterRound, Set<Integer>> batchesPresent;
        final List<Placed> placed = new ArrayList<>();
        final Map<Long, StoredRecord> newRecords = new HashMap<>();
        final Set<Id> ids = new HashSet<>();
        final Map<Integer, Id> lastOfWriter = new HashMap<>();
        StoredRecord last;
        Id lastId;
        List<AppendRecord> batch;
        int gaps;

        ShardCheck(String shard, int round, String context, List<Placed> before,
                   Map<WriterRound, Set<Integer>> batchesPresent) {
            this.shard = shard;
            this.round = round;
            this.context = context;
            this.before = before;
            this.batchesPresent = batchesPresent;
        }

        void accept(StoredRecord r) {
            Id id = Id.parse(r.partitionKey());
            assertThat(id).as("record at %s has a key this test wrote: %s, %s", r.position(), r.partitionKey(), context)
                    .isNotNull();
            String where = id + " at position " + r.position() + ", " + context;
            if (placed.size() < before.size()) {
                // Nothing found before is lost, moved or handed out again.
                assertThat(new Placed(r.position(), id)).as("record %s of the previous check, %s", placed.size(),
                        context).isEqualTo(before.get(placed.size()));
            } else {
                // What the previous check did not find was written by the child just killed, or not at all.
                assertThat(id.round()).as("round of %s, new since the previous check", where).isEqualTo(round);
                newRecords.put(r.position(), r);
            }
            assertThat(KillNineWriter.shardOf(id.writer())).as("shard of %s", where).isEqualTo(shard);
            if (id.index() == 0 || batch == null) {
                batch = KillNineWriter.batch(id.round(), id.writer(), id.seq());
            }
            assertThat(id.count()).as("batch size of %s", where).isEqualTo(batch.size());
            AppendRecord expected = batch.get(id.index());
            assertThat(r.partitionKey()).as("key of %s", where).isEqualTo(expected.partitionKey());
            assertThat(r.explicitHashKey()).as("hash key of %s", where).isEqualTo(expected.explicitHashKey());
            assertThat(r.data()).as("data of %s", where).isEqualTo(expected.data());
            assertThat(ids.add(id)).as("%s appears only once", where).isTrue();

            if (last != null) {
                assertThat(r.position()).as("positions strictly increase: %s", where).isGreaterThan(last.position());
                assertThat(r.arrivalMs()).as("arrival times never go backwards: %s", where)
                        .isGreaterThanOrEqualTo(last.arrivalMs());
                if (r.position() > last.position() + 1) {
                    gaps++;
                }
            }
            // A batch is all there, back to back, or not there at all.
            if (id.index() > 0) {
                assertThat(lastId).as("%s follows the previous record of its batch", where)
                        .isEqualTo(new Id(id.round(), id.writer(), id.seq(), id.index() - 1, id.count()));
                assertThat(r.position()).as("%s is right after its batch's previous record", where)
                        .isEqualTo(last.position() + 1);
                assertThat(r.arrivalMs()).as("%s shares its batch's arrival time", where).isEqualTo(last.arrivalMs());
            } else {
                if (lastId != null) {
                    assertThat(lastId.index()).as("batch before %s is complete", where).isEqualTo(lastId.count() - 1);
                }
                batchesPresent.computeIfAbsent(new WriterRound(id.writer(), id.round()), k -> new HashSet<>())
                        .add(id.seq());
            }
            Id previousOfWriter = lastOfWriter.put(id.writer(), id);
            if (previousOfWriter != null) {
                assertThat(id).as("%s comes after %s of the same writer", where, previousOfWriter)
                        .isGreaterThan(previousOfWriter);
            }
            placed.add(new Placed(r.position(), id));
            last = r;
            lastId = id;
        }

        void finish() {
            assertThat(placed.size()).as("records of %s, at least all the previous check found", context)
                    .isGreaterThanOrEqualTo(before.size());
            if (lastId != null) {
                assertThat(lastId.index()).as("last batch of %s is complete", context).isEqualTo(lastId.count() - 1);
            }
        }
    }

    /** Every acknowledged record of the round is where its acknowledgement said, with its arrival time. */
    private static void checkAcks(List<Ack> acks, Map<String, Map<Long, StoredRecord>> newRecords, int round,
                                  long seed) {
        for (Ack ack : acks) {
            String shard = KillNineWriter.shardOf(ack.writer());
            for (int i = 0; i < ack.count(); i++) {
                long position = ack.basePosition() + i;
                String what = "acknowledged record r" + ack.round() + ".w" + ack.writer() + ".b" + ack.seq() + ".i" + i
                        + " at " + shard + "/" + position + " after kill " + round + " (seed " + seed + ")";
                StoredRecord r = newRecords.get(shard).get(position);
                assertThat(r).as(what).isNotNull();
                assertThat(Id.parse(r.partitionKey())).as(what)
                        .isEqualTo(new Id(ack.round(), ack.writer(), ack.seq(), i, ack.count()));
                assertThat(r.arrivalMs()).as("arrival time of %s", what).isEqualTo(ack.arrivalMs());
            }
        }
    }

    /**
     * A writer appends one batch at a time, so after the kill its batches of this round are 0..n with n its last
     * acknowledged one, or the one after it, whose append was under way.
     */
    private void checkBatchesOfThisRound(Map<WriterRound, Set<Integer>> batchesPresent, int round, long seed) {
        for (int writer = 0; writer < KillNineWriter.WRITERS; writer++) {
            WriterRound key = new WriterRound(writer, round);
            int acked = lastAckedSeq.getOrDefault(key, -1);
            Set<Integer> present = batchesPresent.getOrDefault(key, Set.of());
            int highest = present.stream().mapToInt(Integer::intValue).max().orElse(-1);
            assertThat(highest).as("last batch of writer %s in round %s (last acknowledged %s, seed %s)", writer, round,
                    acked, seed).isBetween(acked, acked + 1);
            assertThat(present).as("batches of writer %s in round %s (seed %s)", writer, round, seed)
                    .hasSize(highest + 1);
            if (highest > acked) {
                unacknowledgedBatchesKept++;
            }
        }
    }

    /**
     * One child JVM running {@link KillNineWriter}, and what it printed. Its output goes to a file rather than a pipe:
     * a file keeps every line written before the kill, while a pipe's tail can be lost when the JDK closes it as the
     * process is reaped.
     */
    private static final class Child {
        final Process process;
        final Path stdout;
        final Path stderr;
        final List<Ack> acks = new ArrayList<>();
        final List<String> unreadable = new ArrayList<>();

        private Child(Process process, Path stdout, Path stderr) {
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        static Child start(Path data, Path logs, int round) throws IOException {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), KillNineWriter.class.getName(), data.toString(),
                    Integer.toString(round), Integer.toString(CHILD_MAX_SECONDS));
            Files.createDirectories(logs);
            Path stdout = logs.resolve("child-" + round + ".out");
            Path stderr = logs.resolve("child-" + round + ".err");
            pb.redirectOutput(stdout.toFile());
            pb.redirectError(stderr.toFile());
            return new Child(pb.start(), stdout, stderr);
        }

        void awaitFirstAck(long seed) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_ACK_TIMEOUT_S);
            while (!Files.readString(stdout, StandardCharsets.UTF_8).contains("ACK ")) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    fail("child acknowledged nothing (alive: " + process.isAlive() + ", seed " + seed
                            + "); stderr:\n" + tail(stderr));
                }
                Thread.sleep(10);
            }
        }

        /** SIGKILL, then collect every line the child got out before it died. */
        void kill() throws IOException, InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("child died").isTrue();
            String out = Files.readString(stdout, StandardCharsets.UTF_8);
            // A line cut short by the kill was not acknowledged.
            int complete = out.lastIndexOf('\n') + 1;
            for (String line : out.substring(0, complete).split("\n")) {
                if (line.startsWith("ACK ")) {
                    acks.add(Ack.parse(line));
                } else if (line.startsWith("UNREADABLE ")) {
                    unreadable.add(line);
                }
            }
        }

        private static String tail(Path file) {
            try {
                String s = Files.readString(file);
                return s.length() > 4_000 ? s.substring(s.length() - 4_000) : s;
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }
    }
}
