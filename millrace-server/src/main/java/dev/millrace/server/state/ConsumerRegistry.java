package dev.millrace.server.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.MetadataStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Enhanced fan-out consumers, kept in the metadata store under {@code consumer/<stream>/<consumer>}: registration
 * ({@code CREATING} then {@code ACTIVE} after the transition delay), deregistration ({@code DELETING} then gone), and
 * AWS's limits (20 consumers per stream, 5 of them {@code CREATING} at once).
 *
 * <p>Consumers are read from the store on every lookup, so a node shows what any writer committed as soon as its store
 * has it. A due transition is settled (committed) on lookup and by {@link #settleDue} only while the {@code writer}
 * supplier says this node may change metadata; on a follower a lookup shows the stored record unsettled, until the
 * writer settles it.
 *
 * <p>Thread-safe: changes are synchronized and committed before they are visible.
 */
public final class ConsumerRegistry {
    private static final String PREFIX = "consumer/";
    private static final JsonFactory JSON = new JsonFactory();
    public static final int MAX_CONSUMERS_PER_STREAM = 20;
    public static final int MAX_CREATING = 5;

    private final MetadataStore metadata;
    private final StreamRegistry streams;
    private final Clock clock;
    private final long transitionDelayMs;
    private final BooleanSupplier writer;

    /** The registry of a node that is the only one on its store, always the writer. */
    public ConsumerRegistry(MetadataStore metadata, StreamRegistry streams, Clock clock, long transitionDelayMs) {
        this(metadata, streams, clock, transitionDelayMs, () -> true);
    }

    /** The registry of a node that shares its store: it settles transitions only while {@code writer} says so. */
    public ConsumerRegistry(MetadataStore metadata, StreamRegistry streams, Clock clock, long transitionDelayMs,
                            BooleanSupplier writer) {
        this.metadata = metadata;
        this.streams = streams;
        this.clock = clock;
        this.transitionDelayMs = transitionDelayMs;
        this.writer = writer;
    }

    public synchronized ConsumerRecord register(String streamName, String name, Map<String, String> tags) {
        StreamRecord s = streams.getActive(streamName);
        List<ConsumerRecord> existing = list(streamName);
        for (ConsumerRecord c : existing) {
            if (c.name().equals(name)) {
                throw KinesisException.resourceInUse("Consumer " + c.arn(streams.account()) + " already exists.");
            }
        }
        if (existing.size() >= MAX_CONSUMERS_PER_STREAM) {
            throw KinesisException.limitExceeded("Stream " + streamName + " under account " + streams.account().id()
                    + " already has " + MAX_CONSUMERS_PER_STREAM + " registered consumers.");
        }
        if (existing.stream().filter(c -> c.status().equals("CREATING")).count() >= MAX_CREATING) {
            throw KinesisException.limitExceeded("Stream " + streamName + " already has " + MAX_CREATING
                    + " consumers in the CREATING state.");
        }
        long now = clock.millis();
        ConsumerRecord c = new ConsumerRecord(streamName, s.epochMs(), name, now,
                transitionDelayMs > 0 ? "CREATING" : "ACTIVE", now + transitionDelayMs, tags);
        put(c);
        Lifecycle.consumer(streams.account(), c, "registered");
        if (c.status().equals("ACTIVE")) {
            Lifecycle.consumer(streams.account(), c, "active");
        }
        return c;
    }

    /** Every consumer of the stream's current incarnation, by name, with due transitions settled (on the writer). */
    public synchronized List<ConsumerRecord> list(String streamName) {
        long epoch = streams.find(streamName).map(StreamRecord::epochMs).orElse(-1L);
        List<ConsumerRecord> out = new ArrayList<>();
        for (byte[] bytes : metadata.scan(PREFIX + streamName + "/").values()) {
            ConsumerRecord c = settle(decode(bytes));
            if (c != null && c.streamEpochMs() == epoch) {
                out.add(c);
            }
        }
        return out;
    }

    /** Finds a consumer by ARN, or by stream and name; {@code ResourceNotFoundException} if there is none. */
    public ConsumerRecord find(String consumerArn, String streamName, String consumerName) {
        String stream = streamName;
        String name = consumerName;
        if (consumerArn != null) {
            int at = consumerArn.indexOf("/consumer/");
            String streamArn = at < 0 ? null : consumerArn.substring(0, at);
            stream = streamArn == null ? null : streams.account().streamNameOf(streamArn);
            String rest = at < 0 ? "" : consumerArn.substring(at + "/consumer/".length());
            int colon = rest.lastIndexOf(':');
            name = colon < 0 ? rest : rest.substring(0, colon);
            if (stream == null) {
                // Not a consumer of this account, region and partition.
                throw KinesisException.resourceNotFound("Consumer " + consumerArn + " under account "
                        + streams.account().id() + " not found.");
            }
        }
        if (stream == null || name == null) {
            throw KinesisException.invalidArgument("Either ConsumerARN, or StreamARN and ConsumerName, must be given.");
        }
        for (ConsumerRecord c : list(stream)) {
            if (c.name().equals(name) && (consumerArn == null || c.arn(streams.account()).equals(consumerArn))) {
                return c;
            }
        }
        throw KinesisException.resourceNotFound("Consumer " + (consumerArn != null ? consumerArn : name)
                + " under account " + streams.account().id() + " not found.");
    }

    /** Replaces a consumer's tags. */
    public synchronized ConsumerRecord retag(ConsumerRecord c, Map<String, String> tags) {
        ConsumerRecord updated = new ConsumerRecord(c.streamName(), c.streamEpochMs(), c.name(), c.createdMs(),
                c.status(), c.statusUntilMs(), tags);
        put(updated);
        return updated;
    }

    public synchronized void deregister(ConsumerRecord c) {
        if (c.status().equals("DELETING")) {
            return;
        }
        put(c.withStatus("DELETING", clock.millis() + transitionDelayMs));
        Lifecycle.consumer(streams.account(), c, "deregistering");
        settle(c.withStatus("DELETING", clock.millis() + transitionDelayMs));
    }

    /** Removes every consumer of a stream at once; for DeleteStream with EnforceConsumerDeletion. */
    public synchronized void deleteAll(String streamName) {
        Map<String, byte[]> changes = new HashMap<>();
        Map<String, byte[]> gone = metadata.scan(PREFIX + streamName + "/");
        gone.keySet().forEach(k -> changes.put(k, null));
        metadata.commit(changes);
        gone.values().forEach(bytes -> Lifecycle.consumer(streams.account(), decode(bytes), "deregistered"));
    }

    /**
     * Settles every consumer whose transition is due; for the writer's housekeeping, so that consumers nobody looks up
     * on the writer still become ACTIVE (or go) and followers see it. Does nothing on a follower.
     */
    public synchronized void settleDue() {
        if (!writer.getAsBoolean()) {
            return;
        }
        for (byte[] bytes : metadata.scan(PREFIX).values()) {
            settle(decode(bytes));
        }
    }

    /** The consumer with its due transition committed, or null if it is gone; as stored on a follower. */
    private ConsumerRecord settle(ConsumerRecord c) {
        if (c.status().equals("ACTIVE") || clock.millis() < c.statusUntilMs() || !writer.getAsBoolean()) {
            return c;
        }
        if (c.status().equals("DELETING")) {
            Map<String, byte[]> change = new HashMap<>();
            change.put(key(c), null);
            metadata.commit(change);
            Lifecycle.consumer(streams.account(), c, "deregistered");
            return null;
        }
        ConsumerRecord active = c.withStatus("ACTIVE", 0);
        put(active);
        Lifecycle.consumer(streams.account(), active, "active");
        return active;
    }

    private void put(ConsumerRecord c) {
        metadata.commit(Map.of(key(c), encode(c)));
    }

    private static String key(ConsumerRecord c) {
        return PREFIX + c.streamName() + "/" + c.name();
    }

    private static byte[] encode(ConsumerRecord c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("stream", c.streamName());
            g.writeNumberField("streamEpochMs", c.streamEpochMs());
            g.writeStringField("name", c.name());
            g.writeNumberField("createdMs", c.createdMs());
            g.writeStringField("status", c.status());
            g.writeNumberField("statusUntilMs", c.statusUntilMs());
            g.writeObjectFieldStart("tags");
            for (Map.Entry<String, String> t : new TreeMap<>(c.tags()).entrySet()) {
                g.writeStringField(t.getKey(), t.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    private static ConsumerRecord decode(byte[] bytes) {
        try (JsonParser p = JSON.createParser(bytes)) {
            p.nextToken();
            Map<String, Object> m = (Map<String, Object>) JsonTree.read(p);
            Map<String, String> tags = new TreeMap<>();
            ((Map<String, Object>) m.get("tags")).forEach((k, v) -> tags.put(k, (String) v));
            return new ConsumerRecord((String) m.get("stream"), (Long) m.get("streamEpochMs"), (String) m.get("name"),
                    (Long) m.get("createdMs"), (String) m.get("status"), (Long) m.get("statusUntilMs"), tags);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
