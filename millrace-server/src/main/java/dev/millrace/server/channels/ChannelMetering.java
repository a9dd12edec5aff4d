package dev.millrace.server.channels;

import dev.millrace.channels.delivery.DeliveryListener;
import dev.millrace.channels.delivery.DeliverySpec;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.StreamMeter;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records channels' {@code AWS/Kinesis} {@code DeliveryToS3.*} metrics (or, for a channel with a table,
 * {@code DeliveryToIceberg.*}) as the delivery engine tells what it did ({@link DeliveryListener}): per batch
 * delivered, one sample of each count and one of 1 of DeliverySuccess if it wrote an object (CommitSuccess: per batch
 * committed to the table); per attempt failed, a sample of 0 of DeliverySuccess (CommitSuccess). DataFreshness is sampled by
 * {@link #freshness}, every refresh. As on AWS, a channel has no metrics before its first delivery attempt on this
 * node.
 *
 * <p>Thread-safe: the engine's delivery threads tell batches, the housekeeping thread samples freshness.
 */
final class ChannelMetering implements DeliveryListener {
    private final KinesisMetrics metrics;
    /** Ids of the channels with a delivery attempt on this node, whose freshness is therefore sampled. */
    private final Set<String> attempted = ConcurrentHashMap.newKeySet();

    ChannelMetering(KinesisMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void delivered(DeliverySpec spec, int deliveredRecords, int deadLetteredRecords, long bytesIn,
                          long objectBytes) {
        attempted.add(spec.channelId());
        // An object per batch with a valid record; a commit per batch to a table (the checkpoint, if nothing else).
        long operations = spec.table() != null ? 1 : deliveredRecords > 0 ? 1 : 0;
        meter(spec).channelDelivered(destination(spec), spec.channelName(), spec.channelId(), deliveredRecords,
                deadLetteredRecords, bytesIn, operations, objectBytes);
    }

    @Override
    public void failed(DeliverySpec spec) {
        attempted.add(spec.channelId());
        meter(spec).channelDeliveryFailed(destination(spec), spec.channelName(), spec.channelId(), 1);
    }

    /** The age of the oldest undelivered record of {@code spec}'s channel now, once it had a delivery attempt. */
    void freshness(DeliverySpec spec, long ageMs) {
        if (attempted.contains(spec.channelId())) {
            meter(spec).channelDataFreshness(destination(spec), spec.channelName(), spec.channelId(), ageMs);
        }
    }

    /** Forgets the channels not delivered here any more (their next attempt here is a first again). */
    void retain(Set<String> channelIds) {
        attempted.retainAll(channelIds);
    }

    /** AWS names a channel's metrics after its destination: DeliveryToS3.* or DeliveryToIceberg.*. */
    private static StreamMeter.ChannelDestination destination(DeliverySpec spec) {
        return spec.table() != null ? StreamMeter.ChannelDestination.ICEBERG : StreamMeter.ChannelDestination.S3;
    }

    private StreamMeter meter(DeliverySpec spec) {
        return metrics.account(spec.accountId(), spec.region()).stream(spec.streamName());
    }
}
