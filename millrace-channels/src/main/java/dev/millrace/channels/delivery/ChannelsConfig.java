package dev.millrace.channels.delivery;

import dev.millrace.channels.s3.S3Settings;
import dev.millrace.channels.table.TableSinkFactory;

/**
 * How a server delivers its channels: to an S3 endpoint ({@link S3Settings}) or, without one, to plain files under
 * {@code DATA_DIR/channels/BUCKET/KEY}; to which tables (S3 Tables destinations, through a {@link TableSinkFactory});
 * and how batches are cut and paced ({@link DeliveryOptions}).
 *
 * <p>Immutable, thread-safe.
 *
 * @param s3                  the S3 store channels write to, or null for local files
 * @param options             batching and pacing
 * @param minFreshnessSeconds the smallest DataFreshnessInSeconds CreateChannel and UpdateChannel accept: AWS's 300,
 *                            or less for development and tests, where nobody wants to wait five minutes
 * @param tables              opens the sink S3 Tables channels write to, or null: such channels then fail (no table
 *                            library is wired)
 */
public record ChannelsConfig(S3Settings s3, DeliveryOptions options, int minFreshnessSeconds,
                             TableSinkFactory tables) {
    /** AWS's smallest DataFreshnessInSeconds. */
    public static final int AWS_MIN_FRESHNESS_SECONDS = 300;
    /** Local files, default batching, AWS's freshness range. */
    public static final ChannelsConfig LOCAL = new ChannelsConfig(null, DeliveryOptions.defaults(),
            AWS_MIN_FRESHNESS_SECONDS);

    public ChannelsConfig {
        if (options == null) {
            throw new IllegalArgumentException("options are required");
        }
        if (minFreshnessSeconds < 1 || minFreshnessSeconds > AWS_MIN_FRESHNESS_SECONDS) {
            throw new IllegalArgumentException("the minimum freshness must be 1 to " + AWS_MIN_FRESHNESS_SECONDS
                    + " seconds, not " + minFreshnessSeconds);
        }
    }

    /** No table delivery. */
    public ChannelsConfig(S3Settings s3, DeliveryOptions options, int minFreshnessSeconds) {
        this(s3, options, minFreshnessSeconds, null);
    }

    /** The same, S3 Tables channels written through {@code value}. */
    public ChannelsConfig withTables(TableSinkFactory value) {
        return new ChannelsConfig(s3, options, minFreshnessSeconds, value);
    }
}
