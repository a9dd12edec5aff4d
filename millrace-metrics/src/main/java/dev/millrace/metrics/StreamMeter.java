package dev.millrace.metrics;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import static dev.millrace.metrics.KinesisMetric.*;

/**
 * What the server tells about one stream as its operations happen: each method is one event (a call answered, a
 * batch stored, a record throttled, an event sent) and records every metric it concerns. Shard-level metrics are
 * recorded only when the stream's enhanced monitoring lists them ({@code shardMetrics}: the stream's
 * ShardLevelMetrics, as EnableEnhancedMonitoring names them); {@code shardId} is read only then, and may be null
 * when that set is empty.
 *
 * <p>Where each event is recorded decides what a cluster counts once: records stored and throttled are told by the
 * node that stores the shard ({@link #stored}, {@link #writeThrottled}), calls by the node that answered them
 * ({@link #putRecord}, {@link #putRecords}).
 *
 * <p>Thread-safe and lock-free on the way in: a call reads the clock once and adds to adders.
 */
public final class StreamMeter {
    static final String SHARD_INCOMING_BYTES_NAME = "IncomingBytes";
    static final String SHARD_INCOMING_RECORDS_NAME = "IncomingRecords";
    static final String SHARD_OUTGOING_BYTES_NAME = "OutgoingBytes";
    static final String SHARD_OUTGOING_RECORDS_NAME = "OutgoingRecords";
    static final String SHARD_ITERATOR_AGE_NAME = "IteratorAgeMilliseconds";
    static final String SHARD_READ_THROTTLED_NAME = "ReadProvisionedThroughputExceeded";
    static final String SHARD_WRITE_THROTTLED_NAME = "WriteProvisionedThroughputExceeded";

    /** How a SubscribeToShard call ended. */
    public enum Subscription {
        /** The subscription was established. */
        ESTABLISHED,
        /** Refused: the consumer subscribed to the shard within the last 5 seconds (ResourceInUseException). */
        RATE_EXCEEDED,
        /** Refused for another reason after the consumer and shard were found. */
        FAILED
    }

    private final Clock clock;
    private final String streamName;
    private final Series stream;
    private final ConcurrentHashMap<String, Series> shards = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Series> consumers = new ConcurrentHashMap<>();
    /** By channel id: a channel deleted and created again under its name has a new id, so series of its own. */
    private final ConcurrentHashMap<String, Series> channels = new ConcurrentHashMap<>();

    StreamMeter(Clock clock, String streamName) {
        this.clock = clock;
        this.streamName = streamName;
        this.stream = new Series(Level.STREAM, Map.of("StreamName", streamName));
    }

    /**
     * A PutRecord call answered by this node in {@code latencyMicros} (latencies are taken in microseconds and
     * published in CloudWatch's milliseconds, fractions kept): {@code stored} whether its record was, of
     * {@code bytes}.
     */
    public void putRecord(long latencyMicros, boolean stored, long bytes) {
        long now = clock.millis();
        stream.add(PUT_RECORD_LATENCY, now, latencyMicros);
        stream.add(PUT_RECORD_SUCCESS, now, stored ? 1 : 0);
        if (stored) {
            stream.add(PUT_RECORD_BYTES, now, bytes);
        }
    }

    /**
     * A PutRecords call answered by this node: {@code total} records sent, {@code successful} stored (of
     * {@code storedBytes} in all), {@code throttled} and {@code failed} (internal failures) not.
     */
    public void putRecords(long latencyMicros, int total, int successful, int throttled, int failed, long storedBytes) {
        long now = clock.millis();
        stream.add(PUT_RECORDS_LATENCY, now, latencyMicros);
        stream.add(PUT_RECORDS_SUCCESS, now, successful > 0 ? 1 : 0);
        stream.add(PUT_RECORDS_TOTAL_RECORDS, now, total);
        stream.add(PUT_RECORDS_SUCCESSFUL_RECORDS, now, successful);
        stream.add(PUT_RECORDS_RECORDS, now, successful);
        stream.add(PUT_RECORDS_THROTTLED_RECORDS, now, throttled);
        stream.add(PUT_RECORDS_FAILED_RECORDS, now, failed);
        if (successful > 0) {
            stream.add(PUT_RECORDS_BYTES, now, storedBytes);
        }
    }

    /**
     * A PutRecords call refused as a whole once its stream was found (an invalid entry, a request over 10 MiB, a
     * KMS or internal error): a sample of 0 of PutRecords.Success, whose average is then AWS's success rate, and its
     * latency. Its records were not processed, so the per-record metrics are left alone.
     */
    public void putRecordsFailed(long latencyMicros) {
        long now = clock.millis();
        stream.add(PUT_RECORDS_LATENCY, now, latencyMicros);
        stream.add(PUT_RECORDS_SUCCESS, now, 0);
    }

    /**
     * One put operation's records stored by this node: {@code records} records, {@code bytes} in all, over however
     * many shards. One sample of IncomingRecords and IncomingBytes per put operation, as AWS has them ("Minimum,
     * Maximum, and Average statistics represent the records in a single put operation for the stream"), and one sample
     * of 0 per record of WriteProvisionedThroughputExceeded, whose average is then the share of records throttled.
     * Called once per call, not per shard: a call over 1,000 shards would otherwise add ~400 samples to the same
     * stream-level counters, which both cores then contend for.
     */
    public void stored(int records, long bytes) {
        long now = clock.millis();
        stream.add(INCOMING_BYTES, now, bytes);
        stream.add(INCOMING_RECORDS, now, records);
        stream.addMany(WRITE_THROTTLED, now, records, 0, 0, 0);
    }

    /**
     * The part of a put operation stored in shard {@code shardId}, for the shard-level metrics enabled in
     * {@code shardMetrics} (one sample of each per put operation and shard; nothing when none is enabled).
     */
    public void storedInShard(String shardId, Set<String> shardMetrics, int records, long bytes) {
        if (shardMetrics.isEmpty()) {
            return;
        }
        long now = clock.millis();
        Series shard = shard(shardId);
        if (shardMetrics.contains(SHARD_INCOMING_BYTES_NAME)) {
            shard.add(KinesisMetric.SHARD_INCOMING_BYTES, now, bytes);
        }
        if (shardMetrics.contains(SHARD_INCOMING_RECORDS_NAME)) {
            shard.add(KinesisMetric.SHARD_INCOMING_RECORDS, now, records);
        }
        if (shardMetrics.contains(SHARD_WRITE_THROTTLED_NAME)) {
            shard.addMany(KinesisMetric.SHARD_WRITE_THROTTLED, now, records, 0, 0, 0);
        }
    }

    /** One record refused for its shard's write throughput by the node that stores the shard. */
    public void writeThrottled(String shardId, Set<String> shardMetrics) {
        long now = clock.millis();
        stream.add(WRITE_THROTTLED, now, 1);
        if (shardMetrics.contains(SHARD_WRITE_THROTTLED_NAME)) {
            shard(shardId).add(KinesisMetric.SHARD_WRITE_THROTTLED, now, 1);
        }
    }

    /**
     * A GetRecords call that returned {@code records} records of {@code bytes}, the last of which arrived
     * {@code iteratorAgeMs} ago (0 with none).
     */
    public void getRecords(String shardId, Set<String> shardMetrics, long latencyMicros, int records, long bytes,
                           long iteratorAgeMs) {
        long now = clock.millis();
        stream.add(GET_RECORDS_LATENCY, now, latencyMicros);
        stream.add(GET_RECORDS_SUCCESS, now, 1);
        stream.add(GET_RECORDS_RECORDS, now, records);
        stream.add(GET_RECORDS_BYTES, now, bytes);
        stream.add(GET_RECORDS_ITERATOR_AGE, now, iteratorAgeMs);
        stream.add(READ_THROTTLED, now, 0);
        if (!shardMetrics.isEmpty()) {
            Series shard = shard(shardId);
            outgoing(shard, shardMetrics, now, records, bytes);
            if (shardMetrics.contains(SHARD_ITERATOR_AGE_NAME)) {
                shard.add(KinesisMetric.SHARD_ITERATOR_AGE, now, iteratorAgeMs);
            }
            if (shardMetrics.contains(SHARD_READ_THROTTLED_NAME)) {
                shard.add(KinesisMetric.SHARD_READ_THROTTLED, now, 0);
            }
        }
    }

    /** A GetRecords call refused for its shard's read throughput. */
    public void readThrottled(String shardId, Set<String> shardMetrics, long latencyMicros) {
        long now = clock.millis();
        stream.add(GET_RECORDS_LATENCY, now, latencyMicros);
        stream.add(GET_RECORDS_SUCCESS, now, 0);
        stream.add(READ_THROTTLED, now, 1);
        if (shardMetrics.contains(SHARD_READ_THROTTLED_NAME)) {
            shard(shardId).add(KinesisMetric.SHARD_READ_THROTTLED, now, 1);
        }
    }

    /**
     * A GetRecords call that failed for another reason than throughput once its stream and shard were found (an
     * expired iterator, a KMS or internal error): a sample of 0 of GetRecords.Success and of
     * ReadProvisionedThroughputExceeded (it was not throttled), and its latency.
     */
    public void getRecordsFailed(String shardId, Set<String> shardMetrics, long latencyMicros) {
        long now = clock.millis();
        stream.add(GET_RECORDS_LATENCY, now, latencyMicros);
        stream.add(GET_RECORDS_SUCCESS, now, 0);
        stream.add(READ_THROTTLED, now, 0);
        if (shardMetrics.contains(SHARD_READ_THROTTLED_NAME)) {
            shard(shardId).add(KinesisMetric.SHARD_READ_THROTTLED, now, 0);
        }
    }

    /** How a SubscribeToShard call of consumer {@code consumerName} ended. */
    public void subscribed(String consumerName, Subscription outcome) {
        long now = clock.millis();
        Series consumer = consumer(consumerName);
        consumer.add(SUBSCRIBE_TO_SHARD_SUCCESS, now, outcome == Subscription.ESTABLISHED ? 1 : 0);
        consumer.add(SUBSCRIBE_TO_SHARD_RATE_EXCEEDED, now, outcome == Subscription.RATE_EXCEEDED ? 1 : 0);
    }

    /** A SubscribeToShardEvent sent to consumer {@code consumerName}, read from shard {@code shardId}. */
    public void subscriptionEvent(String consumerName, String shardId, Set<String> shardMetrics, int records,
                                  long bytes, long millisBehindLatest) {
        long now = clock.millis();
        Series consumer = consumer(consumerName);
        consumer.add(SUBSCRIBE_TO_SHARD_EVENT_SUCCESS, now, 1);
        consumer.add(SUBSCRIBE_TO_SHARD_EVENT_RECORDS, now, records);
        consumer.add(SUBSCRIBE_TO_SHARD_EVENT_BYTES, now, bytes);
        consumer.add(SUBSCRIBE_TO_SHARD_EVENT_MILLIS_BEHIND, now, millisBehindLatest);
        if (!shardMetrics.isEmpty()) {
            outgoing(shard(shardId), shardMetrics, now, records, bytes);
        }
    }

    /**
     * A subscription of consumer {@code consumerName} ended by an error event (the stream, shard or consumer gone, a
     * KMS or internal error while reading) instead of the event it was to publish: a sample of 0 of
     * SubscribeToShardEvent.Success, whose average is then the share of events published.
     */
    public void subscriptionEventFailed(String consumerName) {
        consumer(consumerName).add(SUBSCRIBE_TO_SHARD_EVENT_SUCCESS, clock.millis(), 0);
    }

    /**
     * Batches of the stream that channel {@code channelId} (named {@code channelName}) delivered to
     * {@code destination}: {@code delivered} records written in {@code objects} objects of {@code objectBytes}
     * (compressed), {@code deadLettered} records written to its dead-letter bucket instead, {@code bytesIn} the data
     * bytes of all those records. One sample of each count, and one sample of 1 of DeliverySuccess per object. For
     * {@link ChannelDestination#ICEBERG}, {@code delivered} rows committed in {@code objects} commits
     * (DeliveryToIceberg.CommitSuccess) of data files of {@code objectBytes}.
     */
    public void channelDelivered(ChannelDestination destination, String channelName, String channelId,
                                 long delivered, long deadLettered, long bytesIn, long objects, long objectBytes) {
        long now = clock.millis();
        Series channel = channel(channelName, channelId);
        channel.add(destination.records, now, delivered + deadLettered);
        channel.add(destination.successfulRecords, now, delivered);
        channel.add(destination.failedRecords, now, deadLettered);
        channel.add(destination.deadLetters, now, deadLettered);
        channel.add(destination.bytesIn, now, bytesIn);
        channel.add(destination.bytesProcessed, now, bytesIn);
        channel.add(destination.bytesOut, now, objectBytes);
        channel.addMany(destination.success, now, objects, objects, 1, 1);
    }

    /**
     * {@code attempts} delivery attempts of channel {@code channelId} that failed (the bucket unreachable, the log
     * unreadable) and will be retried: a sample of 0 of DeliverySuccess each (Iceberg: of CommitSuccess), whose
     * average is then the success rate.
     */
    public void channelDeliveryFailed(ChannelDestination destination, String channelName, String channelId,
                                      long attempts) {
        channel(channelName, channelId).addMany(destination.success, clock.millis(), attempts, 0, 0, 0);
    }

    /** The age of channel {@code channelId}'s oldest undelivered record now (0 when everything is delivered). */
    public void channelDataFreshness(ChannelDestination destination, String channelName, String channelId,
                                     long ageMs) {
        channel(channelName, channelId).add(destination.freshness, clock.millis(), ageMs);
    }

    /** Where a channel delivers, which names its metrics: AWS's {@code DeliveryToS3.*} or {@code DeliveryToIceberg.*}. */
    public enum ChannelDestination {
        S3(CHANNEL_DATA_FRESHNESS, CHANNEL_BYTES_IN, CHANNEL_BYTES_PROCESSED, CHANNEL_BYTES_OUT, CHANNEL_RECORD_COUNT,
                CHANNEL_SUCCESSFUL_RECORD_COUNT, CHANNEL_FAILED_RECORD_COUNT, CHANNEL_DELIVERY_SUCCESS,
                CHANNEL_DLQ_DELIVERY_SUCCESS),
        ICEBERG(KinesisMetric.ICEBERG_DATA_FRESHNESS, KinesisMetric.ICEBERG_BYTES_IN,
                KinesisMetric.ICEBERG_BYTES_PROCESSED, KinesisMetric.ICEBERG_BYTES_OUT,
                KinesisMetric.ICEBERG_TOTAL_ROW_COUNT, KinesisMetric.ICEBERG_SUCCESSFUL_ROW_COUNT,
                KinesisMetric.ICEBERG_FAILED_ROW_COUNT, KinesisMetric.ICEBERG_COMMIT_SUCCESS,
                KinesisMetric.ICEBERG_DLQ_DELIVERY_SUCCESS);

        private final KinesisMetric freshness;
        private final KinesisMetric bytesIn;
        private final KinesisMetric bytesProcessed;
        private final KinesisMetric bytesOut;
        private final KinesisMetric records;
        private final KinesisMetric successfulRecords;
        private final KinesisMetric failedRecords;
        private final KinesisMetric success;
        private final KinesisMetric deadLetters;

        ChannelDestination(KinesisMetric freshness, KinesisMetric bytesIn, KinesisMetric bytesProcessed,
                           KinesisMetric bytesOut, KinesisMetric records, KinesisMetric successfulRecords,
                           KinesisMetric failedRecords, KinesisMetric success, KinesisMetric deadLetters) {
            this.freshness = freshness;
            this.bytesIn = bytesIn;
            this.bytesProcessed = bytesProcessed;
            this.bytesOut = bytesOut;
            this.records = records;
            this.successfulRecords = successfulRecords;
            this.failedRecords = failedRecords;
            this.success = success;
            this.deadLetters = deadLetters;
        }
    }

    private Series channel(String channelName, String channelId) {
        Series s = channels.get(channelId);
        return s != null ? s : channels.computeIfAbsent(channelId, id -> new Series(Level.CHANNEL,
                Map.of("ChannelName", channelName, "ChannelId", id, "StreamName", streamName)));
    }

    private static void outgoing(Series shard, Set<String> shardMetrics, long now, int records, long bytes) {
        if (shardMetrics.contains(SHARD_OUTGOING_BYTES_NAME)) {
            shard.add(KinesisMetric.SHARD_OUTGOING_BYTES, now, bytes);
        }
        if (shardMetrics.contains(SHARD_OUTGOING_RECORDS_NAME)) {
            shard.add(KinesisMetric.SHARD_OUTGOING_RECORDS, now, records);
        }
    }

    private Series shard(String shardId) {
        Series s = shards.get(shardId);
        return s != null ? s : shards.computeIfAbsent(shardId,
                id -> new Series(Level.SHARD, Map.of("StreamName", streamName, "ShardId", id)));
    }

    private Series consumer(String consumerName) {
        Series s = consumers.get(consumerName);
        return s != null ? s : consumers.computeIfAbsent(consumerName,
                name -> new Series(Level.CONSUMER, Map.of("StreamName", streamName, "ConsumerName", name)));
    }

    String streamName() {
        return streamName;
    }

    /** Publishes ended minutes of every series; forgets shards and consumers idle since {@code idleSinceMs}. */
    void publishEnded(long endedBeforeMs, long idleSinceMs, List<MinuteAggregate> out) {
        stream.publishEnded(endedBeforeMs, out);
        for (Map<String, Series> children : List.of(shards, consumers, channels)) {
            children.values().forEach(s -> s.publishEnded(endedBeforeMs, out));
            children.values().removeIf(s -> s.idleSince(idleSinceMs));
        }
    }

    /** Whether nothing of the stream was recorded since {@code sinceMs} and all of it was published. */
    boolean idleSince(long sinceMs) {
        return shards.isEmpty() && consumers.isEmpty() && channels.isEmpty() && stream.idleSince(sinceMs);
    }

    void forEachSeries(BiConsumer<KinesisMetric.Level, Series> action) {
        action.accept(Level.STREAM, stream);
        consumers.values().forEach(s -> action.accept(Level.CONSUMER, s));
        shards.values().forEach(s -> action.accept(Level.SHARD, s));
        channels.values().forEach(s -> action.accept(Level.CHANNEL, s));
    }
}
