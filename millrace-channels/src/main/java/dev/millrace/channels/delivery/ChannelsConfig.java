package dev.millrace.channels.delivery;

import dev.millrace.channels.s3.S3Settings;

/**
 * How a server delivers its channels: to an S3 endpoint ({@link S3Settings}) or, without one, to plain files under
 * {@code DATA_DIR/channels/BUCKET/KEY}; and how batches are cut and paced ({@link DeliveryOptions}).
 *
 * <p>Immutable, thread-safe.
 *
 * @param s3      the S3 store channels write to, or null for local files
 * @param options batching and pacing
 */
public record ChannelsConfig(S3Settings s3, DeliveryOptions options) {
    /** Local files, default batching. */
    public static final ChannelsConfig LOCAL = new ChannelsConfig(null, DeliveryOptions.defaults());

    public ChannelsConfig {
        if (options == null) {
            throw new IllegalArgumentException("options are required");
        }
    }
}
