package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.log.KillNineManyShardsWriter.Id;
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
import java.util.stream.Stream;

import static dev.millrace.storage.log.LogTesting.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * {@link KillNineTest} for the write-ahead log: a child JVM appends to 120 shards from four threads, each call
 * beginning a batch on eight shards and then awaiting them (one WAL force for all), and is killed with SIGKILL at a
 * random moment, again and again. Every other kill is also turned into a power loss: every segment and WAL file is
 * cut back to what the child had forced ({@link PowerLossDisk}'s journal), or, every other time, keeps its size but
 * reads zeros in its first un-forced page (out-of-order write-back), so that recovery must restore un-forced segment
 * tails from the WAL and find holes. After each kill this process opens the store (recovery and replay), checks that every
 * acknowledged record is there exactly once, where its acknowledgement said, byte for byte, that nothing found before
 * was lost or moved, and closes the store again.
 */
class KillNineManyShardsTest {
    private static final int ROUNDS = 10;
    private static final long FIRST_ACK_TIMEOUT_S = 30;
    private static final int CHILD_MAX_SECONDS = 60;

    @TempDir
    Path tmp;

    private record Ack(int round, int writer, int call, int group, String shard, long basePosition, int count,
                       long arrivalMs) {
        static Ack parse(String line) {
            String[] f = line.split(" ");
            return new Ack(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                    Integer.parseInt(f[4]), f[5], Long.parseLong(f[6]), Integer.parseInt(f[7]), Long.parseLong(f[8]));
        }
    }

    private record Placed(long position, Id id) {
    }

    private final Map<String, List<Placed>> seen = new HashMap<>();
    private long acknowledged;
    private long restoredBytes;

    @Test
    void shouldKeepEveryAcknowledgedRecordExactlyOnceAcrossKillsAndPowerLosses() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Path data = tmp.resolve("data");
        long started = System.nanoTime();
        int powerLosses = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Path journal = tmp.resolve("forced-" + round + ".journal");
            List<Ack> acks = runChild(data, journal, round, 100 + random.nextInt(400), seed);
            boolean powerLoss = round % 2 == 1;
            if (powerLoss) {
                // Every other power loss leaves holes (out-of-order write-back) instead of cutting files short.
                PowerLossDisk.losePower(journal, round % 4 == 3);
                powerLosses++;
            }
            long cutBytes = segmentBytes(data);
            acknowledged += acks.size();
            verify(data, round, acks, seed);
            if (powerLoss) {
                // The check only reads (and closes the store): what the segments gained, replay restored.
                restoredBytes += Math.max(0, segmentBytes(data) - cutBytes);
            }
        }
        System.out.printf("KillNineManyShardsTest: seed %d, %d kills (%d power losses), %d acknowledged batches, "
                        + "%d segment bytes restored from the WAL, %d ms%n", seed, ROUNDS, powerLosses, acknowledged,
                restoredBytes, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        assertThat(restoredBytes).as("power losses cut segment tails that only the WAL held").isPositive();
    }

    private List<Ack> runChild(Path data, Path journal, int round, int runMs, long seed) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), KillNineManyShardsWriter.class.getName(),
                data.toString(), journal.toString(), Integer.toString(round), Integer.toString(CHILD_MAX_SECONDS));
        Path stdout = tmp.resolve("child-" + round + ".out");
        Path stderr = tmp.resolve("child-" + round + ".err");
        pb.redirectOutput(stdout.toFile());
        pb.redirectError(stderr.toFile());
        Process process = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_ACK_TIMEOUT_S);
            while (!Files.readString(stdout, StandardCharsets.UTF_8).contains("ACK ")) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    fail("child acknowledged nothing (alive: " + process.isAlive() + ", seed " + seed
                            + "); stderr:\n" + Files.readString(stderr));
                }
                Thread.sleep(10);
            }
            Thread.sleep(runMs);
        } finally {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("child died").isTrue();
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        List<Ack> acks = new ArrayList<>();
        for (String line : out.substring(0, out.lastIndexOf('\n') + 1).split("\n")) {
            if (line.startsWith("ACK ")) {
                acks.add(Ack.parse(line));
            }
        }
        return acks;
    }

    private static long segmentBytes(Path data) throws IOException {
        try (Stream<Path> files = Files.walk(data.resolve("shards"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(Segment.LOG_SUFFIX))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private void verify(Path data, int round, List<Ack> acks, long seed) throws IOException {
        Map<String, Map<Long, StoredRecord>> fresh = new HashMap<>();
        Map<Integer, Integer> highestCall = new HashMap<>();
        Set<Id> ids = new HashSet<>();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(KillNineManyShardsWriter.config(data),
                Clock.systemUTC())) {
            for (int s = 0; s < KillNineManyShardsWriter.SHARDS; s++) {
                String shard = KillNineManyShardsWriter.shard(s);
                String context = "shard " + shard + " after kill " + round + " (seed " + seed + ")";
                ShardLog log = store.openOrCreate(shard);
                List<Placed> before = seen.getOrDefault(shard, List.of());
                List<Placed> placed = new ArrayList<>();
                Map<Long, StoredRecord> added = new HashMap<>();
                StoredRecord last = null;
                Id lastId = null;
                for (StoredRecord r : readAll(log)) {
                    Id id = Id.parse(r.partitionKey());
                    assertThat(id).as("record at %s has a key this test wrote, %s", r.position(), context).isNotNull();
                    String where = id + " at " + r.position() + ", " + context;
                    assertThat(ids.add(id)).as("%s appears only once", where).isTrue();
                    if (placed.size() < before.size()) {
                        assertThat(new Placed(r.position(), id)).as("record found before, %s", context)
                                .isEqualTo(before.get(placed.size()));
                    } else {
                        assertThat(id.round()).as("round of %s, new since the last check", where).isEqualTo(round);
                        added.put(r.position(), r);
                        highestCall.merge(id.writer(), id.call(), Math::max);
                    }
                    assertThat(KillNineManyShardsWriter.shard(KillNineManyShardsWriter
                            .shardsOf(id.round(), id.writer(), id.call()).get(id.group()))).as("shard of %s", where)
                            .isEqualTo(shard);
                    List<AppendRecord> batch = KillNineManyShardsWriter.batch(id.round(), id.writer(), id.call(),
                            id.group());
                    assertThat(id.count()).as("batch size of %s", where).isEqualTo(batch.size());
                    assertThat(r.data()).as("data of %s", where).isEqualTo(batch.get(id.index()).data());
                    if (last != null) {
                        assertThat(r.position()).as("positions increase: %s", where).isGreaterThan(last.position());
                    }
                    if (id.index() > 0) {
                        assertThat(lastId).as("%s follows its batch's previous record", where).isEqualTo(
                                new Id(id.round(), id.writer(), id.call(), id.group(), id.index() - 1, id.count()));
                        assertThat(r.position()).as("%s is contiguous", where).isEqualTo(last.position() + 1);
                    } else if (lastId != null) {
                        assertThat(lastId.index()).as("batch before %s is whole", where).isEqualTo(lastId.count() - 1);
                    }
                    placed.add(new Placed(r.position(), id));
                    last = r;
                    lastId = id;
                }
                assertThat(placed.size()).as("records of %s: all found before, and more", context)
                        .isGreaterThanOrEqualTo(before.size());
                if (lastId != null) {
                    assertThat(lastId.index()).as("last batch of %s is whole", context).isEqualTo(lastId.count() - 1);
                }
                seen.put(shard, placed);
                fresh.put(shard, added);
            }
        }
        checkAcks(acks, fresh, highestCall, round, seed);
    }

    private static void checkAcks(List<Ack> acks, Map<String, Map<Long, StoredRecord>> fresh,
                                  Map<Integer, Integer> highestCall, int round, long seed) {
        Map<Integer, Integer> lastAcked = new HashMap<>();
        for (Ack ack : acks) {
            lastAcked.merge(ack.writer(), ack.call(), Math::max);
            for (int i = 0; i < ack.count(); i++) {
                long position = ack.basePosition() + i;
                Id expected = new Id(ack.round(), ack.writer(), ack.call(), ack.group(), i, ack.count());
                String what = "acknowledged " + expected + " at " + ack.shard() + "/" + position + " after kill "
                        + round + " (seed " + seed + ")";
                StoredRecord r = fresh.get(ack.shard()).get(position);
                assertThat(r).as(what).isNotNull();
                assertThat(Id.parse(r.partitionKey())).as(what).isEqualTo(expected);
                assertThat(r.arrivalMs()).as("arrival time of %s", what).isEqualTo(ack.arrivalMs());
            }
        }
        // A writer begins a call only after its previous call was acknowledged and printed.
        highestCall.forEach((writer, call) -> assertThat(call)
                .as("highest call of writer %s present in round %s (seed %s)", writer, round, seed)
                .isLessThanOrEqualTo(lastAcked.getOrDefault(writer, -1) + 1));
    }
}
