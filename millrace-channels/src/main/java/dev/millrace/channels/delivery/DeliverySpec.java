package dev.millrace.channels.delivery;

import dev.millrace.channels.table.TableTarget;
import java.util.Objects;

/**
 * What delivery needs to know about one channel, independent of how the control plane keeps channels: the control
 * plane maps its channel to this (with AWS's defaults filled in) once the channel is ACTIVE. A channel with an S3
 * Tables destination has a {@code table} ({@link #forTable}): its batches go to the table, and the S3 fields describe
 * only its dead-letter location.
 *
 * @param channelId          the channel's id (in its ARN and keys)
 * @param channelName        the channel's name
 * @param accountId          the account that owns the channel and its stream
 * @param region             the channel's region
 * @param streamName         the source stream's name
 * @param streamArn          the source stream's ARN (DLQ entries carry it)
 * @param streamCreatedMs    the creation time of the stream's incarnation the channel was created on: a stream
 *                           deleted and created again under the same name is another stream, not delivered
 * @param recordFormat       how records are validated and laid out
 * @param bucket             the destination bucket (from {@code arn:aws:s3:::BUCKET})
 * @param expectedBucketOwner the account the bucket must belong to, or null to not check
 * @param compression        the objects' compression
 * @param storageClass       the objects' S3 storage class: STANDARD, INTELLIGENT_TIERING or GLACIER_IR
 * @param keyTemplate        the object key template, parsed for {@code compression}
 * @param dlqBucket          the dead-letter bucket
 * @param dlqExpectedBucketOwner the account the dead-letter bucket must belong to, or null to not check
 * @param dlqPrefix          the dead-letter key prefix (AWS's default:
 *                           {@code kinesis-channel/errors/<channelName>/<channelId>/}); may be empty
 * @param dataFreshnessSeconds how long records may wait before they are delivered (300-900 on AWS)
 * @param activatedAtMs      when the channel became ACTIVE: records that arrived before are not delivered
 * @param table              the table an S3 Tables channel delivers to, or null for an S3 destination
 *
 * <p>Immutable, thread-safe.
 */
public record DeliverySpec(String channelId, String channelName, String accountId, String region, String streamName,
                           String streamArn, long streamCreatedMs, RecordFormat recordFormat, String bucket,
                           String expectedBucketOwner, Compression compression, String storageClass,
                           KeyTemplate keyTemplate, String dlqBucket, String dlqExpectedBucketOwner, String dlqPrefix,
                           int dataFreshnessSeconds, long activatedAtMs, TableTarget table) {

    public DeliverySpec {
        Objects.requireNonNull(channelId, "channelId");
        Objects.requireNonNull(channelName, "channelName");
        Objects.requireNonNull(streamName, "streamName");
        Objects.requireNonNull(streamArn, "streamArn");
        Objects.requireNonNull(recordFormat, "recordFormat");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(storageClass, "storageClass");
        Objects.requireNonNull(keyTemplate, "keyTemplate");
        Objects.requireNonNull(dlqBucket, "dlqBucket");
        dlqPrefix = dlqPrefix == null ? "" : dlqPrefix;
        if (!KeyTemplate.parse(keyTemplate.template(), compression.name()).extension()
                .equals(keyTemplate.extension())) {
            throw new IllegalArgumentException("keyTemplate was parsed for another compression than " + compression);
        }
        if (dataFreshnessSeconds < 1) {
            throw new IllegalArgumentException("dataFreshnessSeconds must be positive: " + dataFreshnessSeconds);
        }
    }

    /** A spec of a channel with an S3 destination. */
    public DeliverySpec(String channelId, String channelName, String accountId, String region, String streamName,
                        String streamArn, long streamCreatedMs, RecordFormat recordFormat, String bucket,
                        String expectedBucketOwner, Compression compression, String storageClass,
                        KeyTemplate keyTemplate, String dlqBucket, String dlqExpectedBucketOwner, String dlqPrefix,
                        int dataFreshnessSeconds, long activatedAtMs) {
        this(channelId, channelName, accountId, region, streamName, streamArn, streamCreatedMs, recordFormat, bucket,
                expectedBucketOwner, compression, storageClass, keyTemplate, dlqBucket, dlqExpectedBucketOwner,
                dlqPrefix, dataFreshnessSeconds, activatedAtMs, null);
    }

    /**
     * A spec of a channel with an S3 Tables destination: batches are cut as JSON records are and go to
     * {@code table}; dead letters go to {@code dlqBucketArn} under {@code errorOutputPrefix} (null: AWS's default).
     */
    public static DeliverySpec forTable(String channelId, String channelName, String accountId, String region,
            String streamName, String streamArn, long streamCreatedMs, TableTarget table, String dlqBucketArn,
            String dlqExpectedBucketOwner, String errorOutputPrefix, int dataFreshnessSeconds, long activatedAtMs) {
        String dlqBucket = bucketOf(dlqBucketArn);
        return new DeliverySpec(channelId, channelName, accountId, region, streamName, streamArn, streamCreatedMs,
                RecordFormat.JSON, dlqBucket, dlqExpectedBucketOwner, Compression.NONE, "STANDARD",
                KeyTemplate.parse(null, Compression.NONE.name()), dlqBucket, dlqExpectedBucketOwner,
                errorOutputPrefix == null ? defaultDlqPrefix(channelName, channelId) : errorOutputPrefix,
                dataFreshnessSeconds, activatedAtMs, Objects.requireNonNull(table, "table"));
    }

    /**
     * A spec from a channel's API values as CreateChannel took them, with AWS's defaults for what was omitted: storage
     * class STANDARD, the default key template, the destination bucket and
     * {@code kinesis-channel/errors/<channelName>/<channelId>/} for the dead letters.
     *
     * @param recordFormatType   BYTE_ARRAY, STRING or JSON
     * @param bucketArn          {@code arn:aws:s3:::BUCKET}
     * @param compressionType    NONE, GZIP or ZSTD
     * @param storageClass       null for STANDARD
     * @param outputKeyTemplate  null for {@link KeyTemplate#DEFAULT}
     * @param dlqBucketArn       null for the destination bucket
     * @param dlqExpectedBucketOwner the dead-letter location's own ExpectedBucketOwner (null: not checked)
     * @param errorOutputPrefix  null for AWS's default prefix
     * @throws IllegalArgumentException when a value is not one the control plane should have accepted
     */
    public static DeliverySpec fromApi(String channelId, String channelName, String accountId, String region,
            String streamName, String streamArn, long streamCreatedMs, String recordFormatType, String bucketArn,
            String expectedBucketOwner, String compressionType, String storageClass, String outputKeyTemplate,
            String dlqBucketArn, String dlqExpectedBucketOwner, String errorOutputPrefix, int dataFreshnessSeconds,
            long activatedAtMs) {
        String bucket = bucketOf(bucketArn);
        return new DeliverySpec(channelId, channelName, accountId, region, streamName, streamArn, streamCreatedMs,
                RecordFormat.of(recordFormatType), bucket, expectedBucketOwner, Compression.of(compressionType),
                storageClass == null ? "STANDARD" : storageClass,
                KeyTemplate.parse(outputKeyTemplate, compressionType),
                dlqBucketArn == null ? bucket : bucketOf(dlqBucketArn), dlqExpectedBucketOwner,
                errorOutputPrefix == null ? defaultDlqPrefix(channelName, channelId) : errorOutputPrefix,
                dataFreshnessSeconds, activatedAtMs);
    }

    /** The bucket an {@code arn:aws:s3:::BUCKET} ARN (any partition) names. */
    public static String bucketOf(String bucketArn) {
        int marker = bucketArn == null ? -1 : bucketArn.indexOf(":s3:::");
        if (marker < 0 || !bucketArn.startsWith("arn:") || marker + 6 >= bucketArn.length()) {
            throw new IllegalArgumentException("not an S3 bucket ARN: " + bucketArn);
        }
        return bucketArn.substring(marker + 6);
    }

    /** AWS's default dead-letter prefix for a channel. */
    public static String defaultDlqPrefix(String channelName, String channelId) {
        return "kinesis-channel/errors/" + channelName + "/" + channelId + "/";
    }

    /** The channel's ARN. */
    public String channelArn() {
        return "arn:aws:kinesis:" + region + ":" + accountId + ":channel/" + channelId;
    }

    /** This spec with another freshness (UpdateChannel). */
    public DeliverySpec withDataFreshnessSeconds(int seconds) {
        return new DeliverySpec(channelId, channelName, accountId, region, streamName, streamArn, streamCreatedMs,
                recordFormat, bucket, expectedBucketOwner, compression, storageClass, keyTemplate, dlqBucket,
                dlqExpectedBucketOwner, dlqPrefix, seconds, activatedAtMs, table);
    }

    long dataFreshnessMs() {
        return dataFreshnessSeconds * 1000L;
    }
}
