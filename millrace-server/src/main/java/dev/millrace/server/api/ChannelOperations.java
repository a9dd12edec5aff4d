package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.channels.ChannelRegistry;
import dev.millrace.channels.ChannelRequest;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the channel handlers share: CreateChannel's input read into a {@link ChannelRequest}, and a channel written as
 * the API's ChannelDescription and ChannelSummary.
 *
 * <p>Stateless, thread-safe.
 */
final class ChannelOperations {
    /** TagResource's "up to 50 tags per resource", also for CreateChannel (whose model allows 200). */
    static final int MAX_TAGS = AddTagsToStreamHandler.MAX_TAGS;

    private ChannelOperations() {
    }

    static ChannelRequest createRequest(Struct r) {
        List<ChannelRequest.StreamConfig> streams = new ArrayList<>();
        for (Struct s : r.<Struct>list("StreamConfigurationList")) {
            Struct format = s.struct("RecordConfiguration");
            streams.add(new ChannelRequest.StreamConfig(s.string("StreamARN"), format.string("RecordFormatType"),
                    format.string("GSRSchemaARN")));
        }
        ChannelRequest.S3Request s3 = null;
        Struct s3Config = r.struct("S3DestinationConfiguration");
        if (s3Config != null) {
            Struct storage = s3Config.struct("StorageConfiguration");
            s3 = new ChannelRequest.S3Request(s3Config.integer("DataFreshnessInSeconds"),
                    deadLetters(s3Config.struct("DeadLetterQueueS3Configuration")),
                    new Channel.S3Storage(storage.string("BucketARN"), storage.string("ExpectedBucketOwner"),
                            storage.string("CompressionType"), storage.string("StorageClass"),
                            storage.string("OutputKeyTemplate")));
        }
        ChannelRequest.TablesRequest tables = null;
        Struct tablesConfig = r.struct("S3TablesDestinationConfiguration");
        if (tablesConfig != null) {
            List<Channel.Table> list = new ArrayList<>();
            for (Struct t : tablesConfig.<Struct>list("S3TablesConfigurationList")) {
                list.add(table(t));
            }
            tables = new ChannelRequest.TablesRequest(tablesConfig.integer("DataFreshnessInSeconds"),
                    deadLetters(tablesConfig.struct("DeadLetterQueueS3Configuration")), list);
        }
        Struct encryption = r.struct("EncryptionConfiguration");
        return new ChannelRequest(r.string("ChannelName"), r.string("ServiceExecutionRoleARN"), streams, s3, tables,
                encryption == null ? null : new Channel.Encryption(encryption.string("EncryptionType"),
                        encryption.string("KeyId")), logging(r.struct("LoggingConfiguration")),
                r.stringMap("Tags"));
    }

    private static Channel.Table table(Struct t) {
        List<Channel.PartitionField> fields = null;
        Struct spec = t.struct("PartitionSpec");
        if (spec != null) {
            fields = new ArrayList<>();
            for (Struct f : spec.<Struct>list("PartitionFields")) {
                fields.add(new Channel.PartitionField(f.string("Transform"), f.string("SourceName")));
            }
        }
        return new Channel.Table(t.string("TableBucketARN"), t.string("Namespace"), t.string("TableName"),
                t.string("CompressionType"), fields);
    }

    private static Channel.DeadLetterQueue deadLetters(Struct d) {
        return d == null ? null : new Channel.DeadLetterQueue(d.string("BucketARN"), d.string("ExpectedBucketOwner"),
                d.string("ErrorOutputPrefix"));
    }

    /** LoggingConfiguration (CreateChannel) or its update (UpdateChannel): the same members. */
    static Channel.Logging logging(Struct logging) {
        if (logging == null) {
            return null;
        }
        Struct cw = logging.struct("CloudWatchLogs");
        return new Channel.Logging(Boolean.TRUE.equals(cw.bool("Enabled")), cw.string("LogGroupName"),
                cw.string("LogStreamName"));
    }

    /** {@code "ChannelDescription": {...}}. */
    static void description(WireWriter out, ChannelRegistry channels, Channel c) {
        out.startObject("ChannelDescription")
                .string("ChannelName", c.name())
                .string("ChannelARN", channels.arn(c))
                .string("ChannelId", c.id())
                .string("ChannelStatus", c.status().name())
                .string("ChannelStatusReason", c.statusReason())
                .timestamp("ChannelCreationTimestamp", Instant.ofEpochMilli(c.createdMs()))
                .string("ServiceExecutionRoleARN", c.roleArn());
        Channel.Stream s = c.stream();
        out.startArray("StreamConfigurationList").startObject()
                .string("StreamARN", s.arn())
                .timestamp("StreamCreationTimestamp", Instant.ofEpochMilli(s.createdMs()))
                .startObject("RecordConfiguration")
                .string("RecordFormatType", s.recordFormat())
                .string("GSRSchemaARN", s.schemaArn())
                .endObject().endObject().endArray();
        destination(out, c.destination());
        if (c.encryption() != null) {
            out.startObject("EncryptionConfiguration")
                    .string("EncryptionType", c.encryption().type())
                    .string("KeyId", c.encryption().keyId())
                    .endObject();
        }
        out.startObject("LoggingConfiguration").startObject("CloudWatchLogs")
                .bool("Enabled", c.logging().enabled())
                .string("LogGroupName", c.logging().groupName())
                .string("LogStreamName", c.logging().streamName())
                .endObject().endObject();
        out.endObject();
    }

    private static void destination(WireWriter out, Channel.Destination d) {
        Channel.DeadLetterQueue dlq = d.deadLetters();
        if (d.s3() != null) {
            Channel.S3Storage s3 = d.s3();
            out.startObject("S3DestinationConfiguration").number("DataFreshnessInSeconds", d.freshnessSeconds());
            deadLetters(out, dlq);
            out.startObject("StorageConfiguration")
                    .string("BucketARN", s3.bucketArn())
                    .string("ExpectedBucketOwner", s3.expectedBucketOwner())
                    .string("OutputKeyTemplate", s3.outputKeyTemplate())
                    .string("StorageClass", s3.storageClass())
                    .string("CompressionType", s3.compression())
                    .endObject().endObject();
            return;
        }
        Channel.Table t = d.table();
        out.startObject("S3TablesDestinationConfiguration").number("DataFreshnessInSeconds", d.freshnessSeconds());
        deadLetters(out, dlq);
        out.startArray("S3TablesConfigurationList").startObject()
                .string("TableBucketARN", t.tableBucketArn())
                .string("Namespace", t.namespace())
                .string("TableName", t.tableName())
                .string("CompressionType", t.compression());
        if (t.partitionFields() != null) {
            out.startObject("PartitionSpec").startArray("PartitionFields");
            for (Channel.PartitionField f : t.partitionFields()) {
                out.startObject().string("Transform", f.transform()).string("SourceName", f.sourceName()).endObject();
            }
            out.endArray().endObject();
        }
        out.endObject().endArray().endObject();
    }

    private static void deadLetters(WireWriter out, Channel.DeadLetterQueue dlq) {
        out.startObject("DeadLetterQueueS3Configuration")
                .string("BucketARN", dlq.bucketArn())
                .string("ExpectedBucketOwner", dlq.expectedBucketOwner())
                .string("ErrorOutputPrefix", dlq.errorOutputPrefix())
                .endObject();
    }

    /** One ChannelSummary, as an element of ListChannels' array. */
    static void summary(WireWriter out, ChannelRegistry channels, Channel c) {
        out.startObject()
                .string("ChannelName", c.name())
                .string("ChannelARN", channels.arn(c))
                .string("ChannelId", c.id())
                .string("ChannelStatus", c.status().name())
                .string("ChannelStatusReason", c.statusReason())
                .timestamp("ChannelCreationTimestamp", Instant.ofEpochMilli(c.createdMs()))
                .string("ChannelDestinationType", c.destination().type().name())
                .startArray("Streams").startObject()
                .string("StreamARN", c.stream().arn())
                .timestamp("StreamCreationTimestamp", Instant.ofEpochMilli(c.stream().createdMs()))
                .endObject().endArray()
                .endObject();
    }

    /** The tags of CreateChannel, TagResource: AWS's characters, at most {@link #MAX_TAGS}. */
    static void checkTags(Map<String, String> tags, String action) {
        TagRules.checkTags(tags, action);
        if (tags != null && tags.size() > MAX_TAGS) {
            throw KinesisException.limitExceeded("A channel cannot have more than " + MAX_TAGS
                    + " tags.");
        }
    }
}
