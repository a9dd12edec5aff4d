package dev.millrace.channels;

import java.util.TreeMap;

/**
 * AWS's defaults for what CreateChannel leaves out, as DescribeChannel shows them: DataFreshnessInSeconds 300, the
 * destination bucket as dead-letter location with the prefix {@code kinesis-channel/errors/<name>/<id>/}, StorageClass
 * STANDARD, the default object key template, and logging disabled (or, enabled without names, the log group
 * {@code /aws/kinesis/<name>/<id>} and stream {@code DestinationDelivery}).
 *
 * <p>Stateless, thread-safe.
 */
final class ChannelDefaults {
    static final String DEFAULT_LOG_STREAM = "DestinationDelivery";

    private ChannelDefaults() {
    }

    /** The new channel, CREATING until {@code nowMs + transitionDelayMs}. */
    static Channel fill(ChannelRequest r, String id, StreamAccess.StreamInfo stream, long nowMs,
                        long transitionDelayMs) {
        ChannelRequest.StreamConfig config = r.streams().get(0);
        Channel.Stream source = new Channel.Stream(stream.arn(), stream.name(), stream.createdMs(),
                config.recordFormat(), config.schemaArn());
        Channel.Destination destination = r.s3() != null ? s3(r, id) : tables(r, id);
        return new Channel(id, r.name(), ChannelStatus.CREATING, null, nowMs, nowMs + transitionDelayMs, 0,
                r.roleArn(), source, destination, r.encryption(), logging(r.logging(), r.name(), id),
                new TreeMap<>(r.tags()));
    }

    private static Channel.Destination s3(ChannelRequest r, String id) {
        ChannelRequest.S3Request s3 = r.s3();
        Channel.S3Storage given = s3.storage();
        Channel.S3Storage storage = new Channel.S3Storage(given.bucketArn(), given.expectedBucketOwner(),
                given.compression(), given.storageClass() != null ? given.storageClass()
                        : ChannelValidation.DEFAULT_STORAGE_CLASS,
                given.outputKeyTemplate() != null ? given.outputKeyTemplate()
                        : ChannelValidation.DEFAULT_KEY_TEMPLATE);
        Channel.DeadLetterQueue dlq = s3.deadLetters() != null ? s3.deadLetters()
                : new Channel.DeadLetterQueue(given.bucketArn(), given.expectedBucketOwner(), null);
        return new Channel.Destination(DestinationType.S3, freshness(s3.freshnessSeconds()),
                withPrefix(dlq, r.name(), id), storage, null);
    }

    private static Channel.Destination tables(ChannelRequest r, String id) {
        ChannelRequest.TablesRequest t = r.tables();
        return new Channel.Destination(DestinationType.S3_TABLES, freshness(t.freshnessSeconds()),
                withPrefix(t.deadLetters(), r.name(), id), null, t.tables().get(0));
    }

    private static int freshness(Integer seconds) {
        return seconds != null ? seconds : ChannelValidation.DEFAULT_FRESHNESS_SECONDS;
    }

    /** A dead-letter location without ErrorOutputPrefix gets the default one (AWS documents it for the default). */
    private static Channel.DeadLetterQueue withPrefix(Channel.DeadLetterQueue dlq, String name, String id) {
        if (dlq.errorOutputPrefix() != null) {
            return dlq;
        }
        return new Channel.DeadLetterQueue(dlq.bucketArn(), dlq.expectedBucketOwner(),
                "kinesis-channel/errors/" + name + "/" + id + "/");
    }

    /** The logging block with its defaults; also for UpdateChannel's. */
    static Channel.Logging logging(Channel.Logging given, String name, String id) {
        if (given == null || !given.enabled()) {
            return given == null ? Channel.Logging.DISABLED : given;
        }
        return new Channel.Logging(true, given.groupName() != null ? given.groupName()
                : "/aws/kinesis/" + name + "/" + id,
                given.streamName() != null ? given.streamName() : DEFAULT_LOG_STREAM);
    }
}
