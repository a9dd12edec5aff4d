package dev.millrace.server.channels;

import dev.millrace.channels.delivery.ChannelStats;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.StreamMeter;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns the delivery engine's cumulative counters of each channel ({@link ChannelStats}) into the channel's
 * {@code AWS/Kinesis} {@code DeliveryToS3.*} metrics: at each {@link #record} (every refresh, once a second), what
 * grew since the last one is recorded, and the channel's DataFreshness is sampled. As on AWS, a channel has no
 * metrics before its first delivery attempt on this node (a batch delivered or an attempt failed).
 *
 * <p>The engine's counters are read one by one while batches are delivered, so a batch may be split between two
 * readings (its records in one second, its object in the next): totals are exact, a batch delivered in a minute's last
 * second may count partly in the next minute. A channel whose counters start again (it stopped and started being
 * delivered here, a new {@link ChannelStats}) is counted from 0 again, never negatively.
 *
 * <p>Not thread-safe: {@link ChannelDelivery#refresh} calls it from the one housekeeping thread.
 */
final class ChannelMetering {
    /** A channel's counters at one reading; {@code source} is the engine's object they were read from. */
    record Reading(Object source, long recordsDelivered, long recordsDeadLettered, long bytesIn, long objects,
                   long objectBytes, long failedAttempts) {
        static final Reading ZERO = new Reading(null, 0, 0, 0, 0, 0, 0);

        static Reading of(ChannelStats stats) {
            return new Reading(stats, stats.recordsDelivered(), stats.recordsDeadLettered(), stats.bytesRead(),
                    stats.objectsDelivered(), stats.objectBytesWritten(), stats.failedDeliveries());
        }

        boolean attempted() {
            return recordsDelivered + recordsDeadLettered + objects + failedAttempts > 0;
        }
    }

    /** Whose channel it is: the account, region and stream name its metrics are recorded under. */
    record Channel(String accountId, String region, String streamName, String channelName, String channelId) {
    }

    private final KinesisMetrics metrics;
    /** By channel id, the last reading recorded. */
    private final Map<String, Reading> last = new HashMap<>();

    ChannelMetering(KinesisMetrics metrics) {
        this.metrics = metrics;
    }

    /** Records what channel {@code c} did since the last call, and its data freshness now ({@code ageMs}). */
    void record(Channel c, Reading now, long ageMs) {
        Reading before = last.get(c.channelId());
        if (before == null || before.source() != now.source()) {
            before = Reading.ZERO;
        }
        last.put(c.channelId(), now);
        if (!now.attempted()) {
            return;
        }
        StreamMeter meter = metrics.account(c.accountId(), c.region()).stream(c.streamName());
        long delivered = now.recordsDelivered() - before.recordsDelivered();
        long deadLettered = now.recordsDeadLettered() - before.recordsDeadLettered();
        long objects = now.objects() - before.objects();
        if (delivered > 0 || deadLettered > 0 || objects > 0) {
            meter.channelDelivered(c.channelName(), c.channelId(), delivered, deadLettered,
                    now.bytesIn() - before.bytesIn(), objects, now.objectBytes() - before.objectBytes());
        }
        long failed = now.failedAttempts() - before.failedAttempts();
        if (failed > 0) {
            meter.channelDeliveryFailed(c.channelName(), c.channelId(), failed);
        }
        meter.channelDataFreshness(c.channelName(), c.channelId(), ageMs);
    }

    /** Forgets the readings of channels not delivered here any more. */
    void retain(Set<String> channelIds) {
        last.keySet().retainAll(channelIds);
    }
}
