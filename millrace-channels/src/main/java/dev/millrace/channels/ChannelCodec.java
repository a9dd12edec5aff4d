package dev.millrace.channels;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A channel's stored form: one JSON object per channel, the value of {@code channel/<id>} in the region's metadata.
 * <pre>
 * {"v":1, "id":"...", "name":"...", "status":"ACTIVE", "statusReason":"..."?, "createdMs":N, "statusUntilMs":N,
 *  "activatedMs":N, "roleArn":"...",
 *  "stream":{"arn":"...", "name":"...", "createdMs":N, "recordFormat":"JSON", "schemaArn":"..."?},
 *  "destination":{"type":"S3"|"S3_TABLES", "freshnessSeconds":N,
 *                 "deadLetters":{"bucketArn":"...", "expectedBucketOwner":"...", "errorOutputPrefix":"..."},
 *                 "s3":{"bucketArn", "expectedBucketOwner", "compression", "storageClass", "outputKeyTemplate"}?,
 *                 "table":{"tableBucketArn", "namespace", "tableName", "compression",
 *                          "partitionFields":[{"transform":"TIME_HOUR","sourceName":"..."}]?}?},
 *  "encryption":{"type":"KMS","keyId":"..."}?,
 *  "logging":{"enabled":false, "groupName":"..."?, "streamName":"..."?},
 *  "tags":{"key":"value", ...}}
 * </pre>
 * Members marked {@code ?} are left out when absent. Unknown members are ignored, so a later version may add some.
 *
 * <p>Stateless, thread-safe.
 */
public final class ChannelCodec {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int VERSION = 1;

    private ChannelCodec() {
    }

    public static byte[] encode(Channel c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", VERSION);
            g.writeStringField("id", c.id());
            g.writeStringField("name", c.name());
            g.writeStringField("status", c.status().name());
            optional(g, "statusReason", c.statusReason());
            g.writeNumberField("createdMs", c.createdMs());
            g.writeNumberField("statusUntilMs", c.statusUntilMs());
            g.writeNumberField("activatedMs", c.activatedMs());
            g.writeStringField("roleArn", c.roleArn());
            writeStream(g, c.stream());
            writeDestination(g, c.destination());
            if (c.encryption() != null) {
                g.writeObjectFieldStart("encryption");
                g.writeStringField("type", c.encryption().type());
                g.writeStringField("keyId", c.encryption().keyId());
                g.writeEndObject();
            }
            g.writeObjectFieldStart("logging");
            g.writeBooleanField("enabled", c.logging().enabled());
            optional(g, "groupName", c.logging().groupName());
            optional(g, "streamName", c.logging().streamName());
            g.writeEndObject();
            g.writeObjectFieldStart("tags");
            for (Map.Entry<String, String> t : c.tags().entrySet()) {
                g.writeStringField(t.getKey(), t.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeStream(JsonGenerator g, Channel.Stream s) throws IOException {
        g.writeObjectFieldStart("stream");
        g.writeStringField("arn", s.arn());
        g.writeStringField("name", s.name());
        g.writeNumberField("createdMs", s.createdMs());
        g.writeStringField("recordFormat", s.recordFormat());
        optional(g, "schemaArn", s.schemaArn());
        g.writeEndObject();
    }

    private static void writeDestination(JsonGenerator g, Channel.Destination d) throws IOException {
        g.writeObjectFieldStart("destination");
        g.writeStringField("type", d.type().name());
        g.writeNumberField("freshnessSeconds", d.freshnessSeconds());
        g.writeObjectFieldStart("deadLetters");
        g.writeStringField("bucketArn", d.deadLetters().bucketArn());
        g.writeStringField("expectedBucketOwner", d.deadLetters().expectedBucketOwner());
        g.writeStringField("errorOutputPrefix", d.deadLetters().errorOutputPrefix());
        g.writeEndObject();
        if (d.s3() != null) {
            Channel.S3Storage s3 = d.s3();
            g.writeObjectFieldStart("s3");
            g.writeStringField("bucketArn", s3.bucketArn());
            g.writeStringField("expectedBucketOwner", s3.expectedBucketOwner());
            g.writeStringField("compression", s3.compression());
            g.writeStringField("storageClass", s3.storageClass());
            g.writeStringField("outputKeyTemplate", s3.outputKeyTemplate());
            g.writeEndObject();
        }
        if (d.table() != null) {
            Channel.Table t = d.table();
            g.writeObjectFieldStart("table");
            g.writeStringField("tableBucketArn", t.tableBucketArn());
            g.writeStringField("namespace", t.namespace());
            g.writeStringField("tableName", t.tableName());
            g.writeStringField("compression", t.compression());
            if (t.partitionFields() != null) {
                g.writeArrayFieldStart("partitionFields");
                for (Channel.PartitionField f : t.partitionFields()) {
                    g.writeStartObject();
                    g.writeStringField("transform", f.transform());
                    g.writeStringField("sourceName", f.sourceName());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void optional(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    @SuppressWarnings("unchecked")
    public static Channel decode(byte[] bytes) {
        Map<String, Object> m;
        try (JsonParser p = JSON.createParser(bytes)) {
            p.nextToken();
            m = (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> s = (Map<String, Object>) m.get("stream");
        Channel.Stream stream = new Channel.Stream((String) s.get("arn"), (String) s.get("name"),
                (Long) s.get("createdMs"), (String) s.get("recordFormat"), (String) s.get("schemaArn"));
        Map<String, Object> e = (Map<String, Object>) m.get("encryption");
        Channel.Encryption encryption = e == null ? null
                : new Channel.Encryption((String) e.get("type"), (String) e.get("keyId"));
        Map<String, Object> l = (Map<String, Object>) m.get("logging");
        Channel.Logging logging = new Channel.Logging((Boolean) l.get("enabled"), (String) l.get("groupName"),
                (String) l.get("streamName"));
        Map<String, String> tags = new TreeMap<>();
        ((Map<String, Object>) m.get("tags")).forEach((k, v) -> tags.put(k, (String) v));
        return new Channel((String) m.get("id"), (String) m.get("name"),
                ChannelStatus.valueOf((String) m.get("status")), (String) m.get("statusReason"),
                (Long) m.get("createdMs"), (Long) m.get("statusUntilMs"), (Long) m.get("activatedMs"),
                (String) m.get("roleArn"), stream, readDestination((Map<String, Object>) m.get("destination")),
                encryption, logging, new TreeMap<>(tags));
    }

    @SuppressWarnings("unchecked")
    private static Channel.Destination readDestination(Map<String, Object> d) {
        Map<String, Object> q = (Map<String, Object>) d.get("deadLetters");
        Channel.DeadLetterQueue dlq = new Channel.DeadLetterQueue((String) q.get("bucketArn"),
                (String) q.get("expectedBucketOwner"), (String) q.get("errorOutputPrefix"));
        Map<String, Object> s = (Map<String, Object>) d.get("s3");
        Channel.S3Storage s3 = s == null ? null : new Channel.S3Storage((String) s.get("bucketArn"),
                (String) s.get("expectedBucketOwner"), (String) s.get("compression"), (String) s.get("storageClass"),
                (String) s.get("outputKeyTemplate"));
        Map<String, Object> t = (Map<String, Object>) d.get("table");
        Channel.Table table = null;
        if (t != null) {
            List<Channel.PartitionField> fields = null;
            if (t.get("partitionFields") != null) {
                fields = new ArrayList<>();
                for (Object o : (List<Object>) t.get("partitionFields")) {
                    Map<String, Object> f = (Map<String, Object>) o;
                    fields.add(new Channel.PartitionField((String) f.get("transform"), (String) f.get("sourceName")));
                }
            }
            table = new Channel.Table((String) t.get("tableBucketArn"), (String) t.get("namespace"),
                    (String) t.get("tableName"), (String) t.get("compression"), fields);
        }
        return new Channel.Destination(DestinationType.valueOf((String) d.get("type")),
                ((Long) d.get("freshnessSeconds")).intValue(), dlq, s3, table);
    }
}
