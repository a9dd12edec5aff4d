package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Routing by hash key, checked against a plain scan of the open shards' ranges with BigIntegers: random layouts of
 * 1 to 1,000 shards (cuts anywhere, including just below and above 2^64), and keys at every range's ends, next to
 * them, at 0, at 2^128 - 1 and at random. The router compares 128-bit keys as two unsigned longs, so the ends and the
 * 64-bit boundary are where it could go wrong.
 */
class ShardRouterTest {
    private static final BigInteger MAX = BigInteger.TWO.pow(128).subtract(BigInteger.ONE);
    private static final BigInteger TWO_64 = BigInteger.TWO.pow(64);

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private FileMetadataStore store;
    private EmbeddedLogStore logs;
    private StreamRegistry registry;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir.resolve("meta"));
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir.resolve("logs")), clock);
        registry = new StreamRegistry(store, logs, clock, Account.DEFAULT, 0, 1_000);
    }

    @AfterEach
    void close() {
        logs.close();
        store.close();
    }

    @Test
    void everyKeyGoesToTheOpenShardWhoseRangeHoldsIt() {
        StreamRecord created = registry.create("routed", 1, "PROVISIONED", Map.of(), 1024, null, null);
        Random random = new Random(20);
        for (int layout = 0; layout < 200; layout++) {
            int shardCount = layout == 0 ? 1 : layout < 100 ? 1 + random.nextInt(8) : 1 + random.nextInt(1_000);
            List<ShardRecord> shards = layout(shardCount, random, layout % 3 == 0);
            StreamRecord s = created.withShards(shards);
            ShardRouter router = ShardRouter.of(s);
            List<BigInteger> keys = new ArrayList<>(List.of(BigInteger.ZERO, MAX, TWO_64, TWO_64.subtract(
                    BigInteger.ONE)));
            for (ShardRecord shard : shards) {
                for (BigInteger end : List.of(shard.startingHashKey(), shard.endingHashKey())) {
                    keys.add(end);
                    if (end.signum() > 0) {
                        keys.add(end.subtract(BigInteger.ONE));
                    }
                    if (end.compareTo(MAX) < 0) {
                        keys.add(end.add(BigInteger.ONE));
                    }
                }
            }
            for (int i = 0; i < 200; i++) {
                keys.add(new BigInteger(random.nextBoolean() ? 128 : 1 + random.nextInt(128), random));
            }
            for (BigInteger key : keys) {
                assertThat(router.route(key)).as("key %s over %d shards", key, shardCount)
                        .isSameAs(owner(shards, key));
            }
        }
    }

    /**
     * {@code count} shards covering [0, 2^128 - 1] in order, cut at random points; {@code nearTwo64} puts the cuts
     * close to 2^64, where a key's upper half changes from 0 to 1.
     */
    private List<ShardRecord> layout(int count, Random random, boolean nearTwo64) {
        TreeSet<BigInteger> cuts = new TreeSet<>();
        while (cuts.size() < count - 1) {
            BigInteger cut = nearTwo64 ? TWO_64.add(BigInteger.valueOf(random.nextInt(2 * count + 4) - count - 2))
                    : new BigInteger(128, random);
            if (cut.signum() > 0) {
                cuts.add(cut);
            }
        }
        List<ShardRecord> shards = new ArrayList<>();
        BigInteger start = BigInteger.ZERO;
        int index = 0;
        for (BigInteger cut : cuts) {
            shards.add(ShardRecord.open(index++, -1, -1, start, cut.subtract(BigInteger.ONE), clock.millis()));
            start = cut;
        }
        shards.add(ShardRecord.open(index, -1, -1, start, MAX, clock.millis()));
        return shards;
    }

    private static ShardRecord owner(List<ShardRecord> shards, BigInteger key) {
        for (ShardRecord shard : shards) {
            if (shard.startingHashKey().compareTo(key) <= 0 && shard.endingHashKey().compareTo(key) >= 0) {
                return shard;
            }
        }
        throw new AssertionError("no shard owns " + key);
    }
}
