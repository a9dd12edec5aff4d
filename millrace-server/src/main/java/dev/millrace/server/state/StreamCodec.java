package dev.millrace.server.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Encodes a {@link StreamRecord} as the JSON value the metadata store keeps under {@code stream/<name>}. Field names
 * are stable: renaming one is a format change. Hash keys are decimal strings (they exceed 64 bits).
 *
 * <p>Stateless, thread-safe.
 */
final class StreamCodec {
    private static final JsonFactory JSON = new JsonFactory();

    private StreamCodec() {
    }

    static byte[] encode(StreamRecord s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("name", s.name());
            g.writeNumberField("epochMs", s.epochMs());
            g.writeStringField("status", s.status().name());
            g.writeNumberField("statusUntilMs", s.statusUntilMs());
            g.writeNumberField("retentionHours", s.retentionHours());
            g.writeStringField("mode", s.mode());
            writeShards(g, "shards", s.shards());
            if (s.pendingShards() != null) {
                writeShards(g, "pendingShards", s.pendingShards());
            }
            g.writeObjectFieldStart("tags");
            for (Map.Entry<String, String> tag : s.tags().entrySet()) {
                g.writeStringField(tag.getKey(), tag.getValue());
            }
            g.writeEndObject();
            g.writeStringField("encryptionType", s.encryptionType());
            if (s.keyId() != null) {
                g.writeStringField("keyId", s.keyId());
            }
            g.writeArrayFieldStart("shardLevelMetrics");
            for (String metric : s.shardLevelMetrics()) {
                g.writeString(metric);
            }
            g.writeEndArray();
            g.writeNumberField("maxRecordSizeKiB", s.maxRecordSizeKiB());
            if (s.warmThroughputMiBps() != null) {
                g.writeNumberField("warmThroughputMiBps", s.warmThroughputMiBps());
            }
            g.writeArrayFieldStart("shardCountUpdatesMs");
            for (long t : s.shardCountUpdatesMs()) {
                g.writeNumber(t);
            }
            g.writeEndArray();
            g.writeStringField("distribution", s.distribution());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    static StreamRecord decode(byte[] bytes) {
        Map<String, Object> m;
        try (JsonParser p = JSON.createParser(bytes)) {
            p.nextToken();
            m = (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<ShardRecord> shards = readShards((List<Object>) m.get("shards"));
        List<ShardRecord> pending = m.containsKey("pendingShards")
                ? readShards((List<Object>) m.get("pendingShards")) : null;
        Map<String, String> tags = new TreeMap<>();
        ((Map<String, Object>) m.get("tags")).forEach((k, v) -> tags.put(k, (String) v));
        TreeSet<String> metrics = new TreeSet<>();
        ((List<Object>) m.get("shardLevelMetrics")).forEach(v -> metrics.add((String) v));
        Object warm = m.get("warmThroughputMiBps");
        List<Long> updates = new ArrayList<>();
        ((List<Object>) m.getOrDefault("shardCountUpdatesMs", List.of())).forEach(t -> updates.add((Long) t));
        return new StreamRecord((String) m.get("name"), (Long) m.get("epochMs"),
                StreamStatus.valueOf((String) m.get("status")), (Long) m.get("statusUntilMs"),
                num(m, "retentionHours"), (String) m.get("mode"), shards, new TreeMap<>(tags),
                (String) m.get("encryptionType"), (String) m.get("keyId"), metrics, num(m, "maxRecordSizeKiB"),
                warm == null ? null : ((Long) warm).intValue(), updates, (String) m.get("distribution"), pending);
    }

    private static void writeShards(JsonGenerator g, String field, List<ShardRecord> shards) throws IOException {
        g.writeArrayFieldStart(field);
        for (ShardRecord shard : shards) {
            g.writeStartObject();
            g.writeNumberField("index", shard.index());
            g.writeNumberField("parent", shard.parentIndex());
            g.writeNumberField("adjacentParent", shard.adjacentParentIndex());
            g.writeStringField("startHash", shard.startingHashKey().toString());
            g.writeStringField("endHash", shard.endingHashKey().toString());
            g.writeNumberField("startPosition", shard.startingPosition());
            g.writeNumberField("createdMs", shard.createdMs());
            if (shard.closedMs() != null) {
                g.writeNumberField("closedMs", shard.closedMs());
            }
            if (shard.endingPosition() != null) {
                g.writeNumberField("endPosition", shard.endingPosition());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    @SuppressWarnings("unchecked")
    private static List<ShardRecord> readShards(List<Object> list) {
        List<ShardRecord> shards = new ArrayList<>();
        for (Object o : list) {
            Map<String, Object> s = (Map<String, Object>) o;
            shards.add(new ShardRecord(num(s, "index"), num(s, "parent"), num(s, "adjacentParent"),
                    new BigInteger((String) s.get("startHash")), new BigInteger((String) s.get("endHash")),
                    (Long) s.get("startPosition"), (Long) s.get("createdMs"), (Long) s.get("closedMs"),
                    (Long) s.get("endPosition")));
        }
        return shards;
    }

    private static int num(Map<String, Object> m, String key) {
        return ((Long) m.get(key)).intValue();
    }
}
