package dev.millrace.channels;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One channel as the registry keeps it: what CreateChannel asked for with AWS's defaults filled in, and where the
 * channel stands. Everything DescribeChannel shows, plus what delivery needs ({@link #activatedMs}).
 *
 * <p>Immutable, thread-safe.
 *
 * @param id            the channel id: a lowercase DNS label, the last segment of the ARN
 * @param name          the name, unique in the account's region
 * @param status        where the channel stands
 * @param statusReason  why it is {@link ChannelStatus#FAILED}, else {@code null}
 * @param createdMs     when CreateChannel ran
 * @param statusUntilMs when the current transition (CREATING, UPDATING, DELETING) may end; 0 when settled
 * @param activatedMs   when the channel first became ACTIVE (delivery starts with the records arriving from then on),
 *                      0 before that
 * @param roleArn       ServiceExecutionRoleARN, kept and shown; Millrace assumes no role to deliver
 * @param stream        the source stream (one incarnation of it)
 * @param destination   where records go
 * @param encryption    EncryptionConfiguration, or {@code null} (SSE-S3 on AWS)
 * @param logging       LoggingConfiguration, defaulted to disabled
 * @param tags          the channel's tags
 */
public record Channel(String id, String name, ChannelStatus status, String statusReason, long createdMs,
                      long statusUntilMs, long activatedMs, String roleArn, Stream stream, Destination destination,
                      Encryption encryption, Logging logging, SortedMap<String, String> tags) {
    public Channel {
        tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
    }

    /** The channel in another status. */
    public Channel withStatus(ChannelStatus newStatus, String reason, long untilMs) {
        return new Channel(id, name, newStatus, reason, createdMs, untilMs, activatedMs, roleArn, stream, destination,
                encryption, logging, tags);
    }

    /** ACTIVE from {@code nowMs}: the first activation sets {@link #activatedMs}, later ones keep it. */
    public Channel activated(long nowMs) {
        return new Channel(id, name, ChannelStatus.ACTIVE, null, createdMs, 0, activatedMs == 0 ? nowMs : activatedMs,
                roleArn, stream, destination, encryption, logging, tags);
    }

    public Channel withTags(Map<String, String> newTags) {
        return new Channel(id, name, status, statusReason, createdMs, statusUntilMs, activatedMs, roleArn, stream,
                destination, encryption, logging, new TreeMap<>(newTags));
    }

    /** UpdateChannel's changes, UPDATING until {@code untilMs}. */
    public Channel updated(Destination newDestination, Logging newLogging, long untilMs) {
        return new Channel(id, name, ChannelStatus.UPDATING, null, createdMs, untilMs, activatedMs, roleArn, stream,
                newDestination, encryption, newLogging, tags);
    }

    /**
     * The source stream.
     *
     * @param arn          the stream's ARN
     * @param name         the stream's name
     * @param createdMs    the creation time of the incarnation the channel is bound to (StreamCreationTimestamp)
     * @param recordFormat RecordFormatType: BYTE_ARRAY, STRING, JSON or GSR_JSON
     * @param schemaArn    GSRSchemaARN, or {@code null}
     */
    public record Stream(String arn, String name, long createdMs, String recordFormat, String schemaArn) {
    }

    /**
     * The destination: exactly one of {@code s3} and {@code table} is set, as {@code type} says.
     *
     * @param freshnessSeconds DataFreshnessInSeconds, 300..900
     * @param deadLetters      where records that cannot be delivered go
     */
    public record Destination(DestinationType type, int freshnessSeconds, DeadLetterQueue deadLetters, S3Storage s3,
                              Table table) {
        public Destination withFreshness(int seconds) {
            return new Destination(type, seconds, deadLetters, s3, table);
        }
    }

    /** A general purpose bucket's StorageConfiguration, defaults filled. */
    public record S3Storage(String bucketArn, String expectedBucketOwner, String compression, String storageClass,
                            String outputKeyTemplate) {
        /** The bucket name, the part of the ARN after {@code :::}. */
        public String bucket() {
            return bucketArn.substring(bucketArn.indexOf(":::") + 3);
        }
    }

    /** An S3 Tables destination (one table, as AWS allows). */
    public record Table(String tableBucketArn, String namespace, String tableName, String compression,
                        List<PartitionField> partitionFields) {
        public Table {
            partitionFields = partitionFields == null ? null : List.copyOf(partitionFields);
        }
    }

    public record PartitionField(String transform, String sourceName) {
    }

    /** DeadLetterQueueS3Configuration, its prefix defaulted. */
    public record DeadLetterQueue(String bucketArn, String expectedBucketOwner, String errorOutputPrefix) {
        public String bucket() {
            return bucketArn.substring(bucketArn.indexOf(":::") + 3);
        }
    }

    public record Encryption(String type, String keyId) {
        /** Whether the key is Kinesis's AWS managed key (alias or alias ARN), which channels may not use. */
        public boolean awsManaged() {
            return ChannelValidation.isAwsManagedKey(keyId);
        }
    }

    /** CloudWatchLogs: whether delivery logs would be written, and where (names shown only if the client gave them). */
    public record Logging(boolean enabled, String groupName, String streamName) {
        public static final Logging DISABLED = new Logging(false, null, null);
    }
}
