package dev.millrace.channels.s3;

import java.nio.file.Path;

/**
 * Where a channel's objects go. Putting an object under a key that exists replaces it whole (never appends, never
 * leaves a mix): that is what makes a retried delivery exactly-once.
 *
 * <p>Implementations are thread-safe: delivery threads put objects concurrently.
 */
public interface Destination {

    /**
     * Writes the file's bytes as the object {@code target}; returns once the object is durably stored. The file must
     * not be written to afterwards (it may be deleted): {@link LocalFilesDestination} makes the object a hard link to
     * it where it can.
     *
     * @throws DestinationException if it could not be written (nothing, or the whole object, is then in place)
     */
    void put(ObjectTarget target, Path file);

    /**
     * Whether the object {@code target} exists now (S3's HeadObject). Delivery asks before it would replace an
     * object with one built from fewer records (a retried batch whose first records expired), so as to keep the
     * fuller one: portable where a conditional put ({@code If-None-Match: *}) is not supported by every S3-compatible
     * store.
     *
     * @throws DestinationException if the destination cannot tell
     */
    boolean exists(ObjectTarget target);

    /**
     * Whether the bucket exists and may be written to, as far as the destination can tell: the control plane's check
     * before a channel becomes ACTIVE.
     *
     * @throws DestinationException if the destination cannot be reached
     */
    BucketCheck checkBucket(String bucket);

    /** What {@link #checkBucket} found. */
    enum BucketCheck {
        EXISTS,
        /** No such bucket. */
        MISSING,
        /** The bucket may exist, but the destination's credentials may not use it (S3's 403). */
        ACCESS_DENIED
    }

    /**
     * One object to write.
     *
     * @param bucket              the bucket
     * @param key                 the object key
     * @param storageClass        STANDARD, INTELLIGENT_TIERING or GLACIER_IR (null: STANDARD)
     * @param expectedBucketOwner the account the bucket must belong to, or null
     */
    record ObjectTarget(String bucket, String key, String storageClass, String expectedBucketOwner) {
    }
}
