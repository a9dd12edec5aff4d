import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.kafka.KafkaMetadataStore;
import dev.millrace.storage.kafka.KafkaStorageConfig;

import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two figures of the Kafka metadata store that the 100-node analysis of issue 15 rests on (docs/BENCHMARKS.md,
 * "Several nodes"), measured on a one-broker KRaft cluster in this JVM (KafkaTestCluster):
 * <ol>
 *   <li>the writer's rate of small sequential commits (one DynamoDB UpdateItem of a KCL lease renewal is one such
 *   commit: one Kafka transaction with a ~600-byte value and the version record), one at a time, as the server's
 *   commit lock makes them;</li>
 *   <li>the replay rate of {@link KafkaMetadataStore#openFollower} (what a starting node does) over a topic holding
 *   STREAMS stream-sized values (STREAM_BYTES each: StreamCodec's JSON of a 100-shard stream is ~19.7 KB) and LEASES
 *   lease-sized values, written in commits of 100 keys.</li>
 * </ol>
 * Run (classpath from the reactor, see the BENCHMARKS section):
 * <pre>java -cp "$CP" bench/MetadataStoreProbe.java [COMMITS] [STREAMS] [STREAM_BYTES] [LEASES] [LEASE_BYTES]</pre>
 * Defaults 2000 200 19655 20000 600. Prints one line of JSON. Not a test: it asserts nothing but that the follower saw
 * every key, and it exits non-zero otherwise.
 */
public final class MetadataStoreProbe {
    public static void main(String[] args) throws Exception {
        int commits = arg(args, 0, 2000);
        int streams = arg(args, 1, 200);
        int streamBytes = arg(args, 2, 19_655);
        int leases = arg(args, 3, 20_000);
        int leaseBytes = arg(args, 4, 600);
        try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
            KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers())
                    .withTopicPrefix("probe" + System.currentTimeMillis() + ".");
            Clock clock = Clock.systemUTC();
            Map<String, Object> out = new LinkedHashMap<>();
            try (KafkaMetadataStore writer = KafkaMetadataStore.open(config, clock)) {
                byte[] lease = filled(leaseBytes);
                for (int i = 0; i < 200; i++) { // warm-up: connections, JIT
                    writer.commit(Map.of("warm/" + (i % 10), lease));
                }
                long[] latencyNanos = new long[commits];
                long t0 = System.nanoTime();
                for (int i = 0; i < commits; i++) {
                    long s = System.nanoTime();
                    writer.commit(Map.of("dynamodb/leases/item/shardId-" + (i % 1000), lease));
                    latencyNanos[i] = System.nanoTime() - s;
                }
                double commitS = (System.nanoTime() - t0) / 1e9;
                Arrays.sort(latencyNanos);
                out.put("sequentialCommits", commits);
                out.put("commitsPerS", Math.round(commits / commitS));
                out.put("commitP50Ms", latencyNanos[commits / 2] / 1e6);
                out.put("commitP99Ms", latencyNanos[(int) (commits * 0.99)] / 1e6);

                long bytes = 0;
                long w0 = System.nanoTime();
                Map<String, byte[]> batch = new LinkedHashMap<>();
                for (int i = 0; i < streams + leases; i++) {
                    byte[] value = filled(i < streams ? streamBytes : leaseBytes);
                    batch.put(i < streams ? "stream/s-" + i : "dynamodb/leases/item/k-" + i, value);
                    bytes += value.length;
                    if (batch.size() == 100) {
                        writer.commit(batch);
                        batch = new LinkedHashMap<>();
                    }
                }
                if (!batch.isEmpty()) {
                    writer.commit(batch);
                }
                out.put("bulkValues", streams + leases);
                out.put("bulkBytes", bytes);
                out.put("bulkWriteS", (System.nanoTime() - w0) / 1e9);
                for (int round = 1; round <= 2; round++) {
                    long r0 = System.nanoTime();
                    try (KafkaMetadataStore follower = KafkaMetadataStore.openFollower(config, clock)) {
                        double replayS = (System.nanoTime() - r0) / 1e9;
                        int seen = follower.scan("stream/").size() + follower.scan("dynamodb/leases/item/k-").size();
                        if (seen != streams + leases) {
                            throw new IllegalStateException("the follower saw " + seen + " of " + (streams + leases));
                        }
                        out.put("replay" + round + "S", replayS);
                        out.put("replay" + round + "MBPerS", bytes / 1e6 / replayS);
                    }
                }
            }
            System.out.println(toJson(out));
        }
    }

    private static int arg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }

    /** Random printable bytes: JSON-like and not compressible to nothing. */
    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('0' + ThreadLocalRandom.current().nextInt(75));
        }
        return b;
    }

    private static String toJson(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
                .append(v instanceof Double d ? String.format("%.3f", d) : v));
        return sb.append('}').toString();
    }
}
