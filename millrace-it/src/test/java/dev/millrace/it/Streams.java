package dev.millrace.it;

import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelDescription;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * Small helpers over a {@link KinesisClient}: create and wait for a stream, wait for a channel, list a stream's
 * shards, read a shard to its end, route a partition key by MD5 as Kinesis does.
 *
 * <p>Stateless, thread-safe.
 */
final class Streams {
    private Streams() {
    }

    /** A record as written or read: what must survive byte for byte. */
    record Written(String sequenceNumber, String partitionKey, byte[] data) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Written w && w.sequenceNumber.equals(sequenceNumber)
                    && w.partitionKey.equals(partitionKey) && Arrays.equals(w.data, data);
        }

        @Override
        public int hashCode() {
            return sequenceNumber.hashCode();
        }

        @Override
        public String toString() {
            return sequenceNumber + "/" + partitionKey + "/" + data.length + "B";
        }

        static Written of(Record r) {
            return new Written(r.sequenceNumber(), r.partitionKey(), r.data().asByteArray());
        }
    }

    static void createActive(KinesisClient kinesis, String name, int shards) {
        kinesis.createStream(b -> b.streamName(name).shardCount(shards));
        awaitActive(kinesis, name);
    }

    /** Creates an on-demand stream and waits until it is ACTIVE. */
    static void createOnDemand(KinesisClient kinesis, String name) {
        kinesis.createStream(b -> b.streamName(name).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
        awaitActive(kinesis, name);
    }

    /**
     * Waits until the channel is in {@code status} (ACTIVE once its destination was checked, FAILED if that check
     * failed) and returns its description then.
     */
    static ChannelDescription awaitChannel(KinesisClient kinesis, String channelArn, ChannelStatus status) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                kinesis.describeChannel(b -> b.channelARN(channelArn)).channelDescription().channelStatus() == status);
        return kinesis.describeChannel(b -> b.channelARN(channelArn)).channelDescription();
    }

    static void awaitActive(KinesisClient kinesis, String name) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary().streamStatus()
                        == StreamStatus.ACTIVE);
    }

    static List<Shard> shards(KinesisClient kinesis, String name) {
        return kinesis.listShards(b -> b.streamName(name)).shards();
    }

    /** Every record of a shard from TRIM_HORIZON, paging with {@code limit}, until the reader has caught up. */
    static List<Record> readShard(KinesisClient kinesis, String stream, String shardId, int limit) {
        String iterator = kinesis.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        return readFrom(kinesis, iterator, limit);
    }

    /** Every record from an iterator on, until a call returns none and says the reader is not behind. */
    static List<Record> readFrom(KinesisClient kinesis, String iterator, int limit) {
        List<Record> all = new ArrayList<>();
        for (int calls = 0; calls < 100_000; calls++) {
            final String at = iterator;
            GetRecordsResponse r = kinesis.getRecords(b -> b.shardIterator(at).limit(limit));
            all.addAll(r.records());
            if (r.records().isEmpty() && r.millisBehindLatest() == 0) {
                return all;
            }
            iterator = r.nextShardIterator();
            if (iterator == null) {
                return all;
            }
        }
        throw new AssertionError("shard never caught up");
    }

    static List<Written> readShardWritten(KinesisClient kinesis, String stream, String shardId) {
        return readShard(kinesis, stream, shardId, 1000).stream().map(Written::of).toList();
    }

    static BigInteger md5(String partitionKey) {
        try {
            return new BigInteger(1, MessageDigest.getInstance("MD5")
                    .digest(partitionKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shard whose hash key range holds {@code hashKey}. */
    static String owner(List<Shard> shards, BigInteger hashKey) {
        for (Shard s : shards) {
            BigInteger start = new BigInteger(s.hashKeyRange().startingHashKey());
            BigInteger end = new BigInteger(s.hashKeyRange().endingHashKey());
            if (start.compareTo(hashKey) <= 0 && hashKey.compareTo(end) <= 0) {
                return s.shardId();
            }
        }
        throw new AssertionError("no shard owns " + hashKey);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static int compareSequence(String a, String b) {
        return new BigInteger(a).compareTo(new BigInteger(b));
    }
}
