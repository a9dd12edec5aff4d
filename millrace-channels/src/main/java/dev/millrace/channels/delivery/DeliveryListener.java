package dev.millrace.channels.delivery;

/**
 * What a {@link DeliveryEngine} tells as it delivers, for the server's metrics (AWS's {@code DeliveryToS3.*}, or
 * {@code DeliveryToIceberg.*} for a channel with a table): each
 * batch delivered, each attempt failed. Called on the engine's delivery threads, after a batch's objects and its
 * checkpoint are written, so a batch delivered again after a crash is told again by the engine that delivered it.
 *
 * <p>Implementations must be thread-safe, quick, and must not throw.
 */
public interface DeliveryListener {
    /** Tells nothing. */
    DeliveryListener NONE = new DeliveryListener() {
        @Override
        public void delivered(DeliverySpec spec, int deliveredRecords, int deadLetteredRecords, long bytesIn,
                              long objectBytes) {
        }

        @Override
        public void failed(DeliverySpec spec) {
        }
    };

    /**
     * A batch of {@code spec}'s channel delivered: {@code deliveredRecords} records written to the bucket in one
     * object of {@code objectBytes} (no object when {@code deliveredRecords} is 0: no record of the batch was valid),
     * {@code deadLetteredRecords} written to the dead-letter bucket, {@code bytesIn} the data bytes of all of them.
     * For a channel with a table ({@link DeliverySpec#table}): {@code deliveredRecords} rows committed in one commit
     * with data files of {@code objectBytes} (0 when the table already held the batch).
     */
    void delivered(DeliverySpec spec, int deliveredRecords, int deadLetteredRecords, long bytesIn, long objectBytes);

    /** An attempt to deliver a shard of {@code spec}'s channel failed; it will be retried. */
    void failed(DeliverySpec spec);
}
