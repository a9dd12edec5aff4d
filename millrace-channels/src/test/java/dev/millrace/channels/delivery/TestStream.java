package dev.millrace.channels.delivery;

import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.embedded.EmbeddedStorage;
import dev.millrace.storage.log.DurabilityPolicy;
import dev.millrace.storage.log.LogConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stream of shards on the embedded engine in a temporary directory, with a manual clock, as a ShardSource. */
final class TestStream implements ShardSource, AutoCloseable {

    static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders";
    /** The incarnation of the stream: another one (deleted and created again) has no shards here. */
    static final long CREATED_MS = 1_700_000_000_000L;

    final ManualClock clock;
    final EmbeddedStorage storage;
    private final List<Shard> shards = new CopyOnWriteArrayList<>();

    TestStream(Path dir, long startMs, int shardCount) {
        clock = new ManualClock(startMs);
        storage = EmbeddedStorage.open(LogConfig.defaults(dir.resolve("data"))
                .withDurability(DurabilityPolicy.INTERVAL, 50), clock);
        for (int i = 0; i < shardCount; i++) {
            addShard(i, false);
        }
    }

    Shard addShard(int number, boolean ended) {
        String shardId = String.format("shardId-%012d", number);
        ShardLog log = storage.logs().openOrCreate("orders-" + number);
        Shard shard = new Shard(shardId, null, null, ended, log, (position, arrivalMs) -> sequenceNumber(number, position));
        shards.add(shard);
        return shard;
    }

    static String sequenceNumber(int shard, long position) {
        return String.format("4959%04d%048d", shard, position);
    }

    ShardLog log(int shard) {
        return shards.get(shard).log();
    }

    /** Appends records with these payloads to the shard, as one batch, at the clock's time. */
    void put(int shard, byte[]... payloads) {
        List<AppendRecord> records = new ArrayList<>();
        for (byte[] payload : payloads) {
            records.add(new AppendRecord("pk", payload));
        }
        log(shard).append(records);
    }

    void put(int shard, String... payloads) {
        List<AppendRecord> records = new ArrayList<>();
        for (String payload : payloads) {
            records.add(AppendRecord.of("pk", payload));
        }
        log(shard).append(records);
    }

    @Override
    public List<Shard> shards(String streamArn, long streamCreatedMs) {
        return streamArn.equals(STREAM_ARN) && streamCreatedMs == CREATED_MS ? List.copyOf(shards) : List.of();
    }

    @Override
    public void close() {
        storage.close();
    }
}
