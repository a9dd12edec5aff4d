package dev.millrace.glue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.StaleVersionException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Registries, schemas and schema versions in one account's region's metadata store, as JSON values under:
 * <pre>
 *   glue/registry/&lt;registry&gt;                          {"description","tags":{},"createdMs","updatedMs"}
 *   glue/schema/&lt;registry&gt;/&lt;schema&gt;                 {"dataFormat","compatibility","description","tags":{},
 *                                                       "latest","next","checkpoint","createdMs","updatedMs"}
 *   glue/version/&lt;version id&gt;                         {"registry","schema","number","definition",
 *                                                       "digest","createdMs"}
 *   glue/version-index/&lt;registry&gt;/&lt;schema&gt;/&lt;number, 10 digits&gt;
 *                                                       the version id, UTF-8
 *   glue/digest/&lt;registry&gt;/&lt;schema&gt;/&lt;SHA-256 of the normalised definition, hex&gt;
 *                                                       the version id, UTF-8
 *   glue/usage                                          the characters of every definition kept, decimal
 * </pre>
 * Names never hold a '/' (Glue's name pattern), so a prefix scan of one registry's or one schema's keys sees no other.
 * Every change is one {@link MetadataStore#commitIfVersion} at the version its checks read, so two writers (a writer
 * change in a cluster) can never both create one name. The version is the whole store's, which other services commit
 * to as well (channel checkpoints, stream transitions): a commit that lost that race throws {@link Stale}, and the
 * call is run again from its reads ({@link GlueApi#handle}).
 *
 * <p>Thread-safe: changes are serialised on this object; reads need no lock.
 */
final class SchemaRegistryStore {
    static final String REGISTRY = "glue/registry/";
    static final String SCHEMA = "glue/schema/";
    static final String VERSION = "glue/version/";
    static final String VERSION_INDEX = "glue/version-index/";
    static final String DIGEST = "glue/digest/";
    static final String USAGE = "glue/usage";
    private static final JsonFactory JSON = new JsonFactory();

    record Registry(String name, String description, Map<String, String> tags, long createdMs, long updatedMs) {
    }

    record Schema(String registry, String name, String dataFormat, String compatibility, String description,
                  Map<String, String> tags, long latest, long next, long checkpoint, long createdMs,
                  long updatedMs) {
        Schema withLatest(long number, long nowMs) {
            return new Schema(registry, name, dataFormat, compatibility, description, tags, number, number + 1,
                    checkpoint, createdMs, nowMs);
        }
    }

    record Version(String id, String registry, String schema, long number, String definition, String digest,
                   long createdMs) {
    }

    private final MetadataStore store;

    SchemaRegistryStore(MetadataStore store) {
        this.store = store;
    }

    long version() {
        return store.version();
    }

    Optional<Registry> registry(String name) {
        return store.get(REGISTRY + name).map(v -> registryOf(name, v));
    }

    /** Every registry, in name order (at most Limits.MAX_REGISTRIES). */
    List<Registry> registries() {
        List<Registry> out = new ArrayList<>();
        store.scan(REGISTRY).forEach((k, v) -> out.add(registryOf(k.substring(REGISTRY.length()), v)));
        return out;
    }

    Optional<Schema> schema(String registry, String name) {
        return store.get(SCHEMA + registry + "/" + name).map(v -> schemaOf(registry, name, v));
    }

    /** The schemas whose key starts with {@code SCHEMA + prefix}, in key order (registry, then name). */
    SortedMap<String, byte[]> schemaEntries(String prefix) {
        return store.scan(SCHEMA + prefix);
    }

    int schemaCount() {
        return store.scan(SCHEMA).size();
    }

    static Schema schemaOfKey(String key, byte[] value) {
        String rest = key.substring(SCHEMA.length());
        int slash = rest.indexOf('/');
        return schemaOf(rest.substring(0, slash), rest.substring(slash + 1), value);
    }

    Optional<Version> version(String id) {
        return store.get(VERSION + id).map(v -> versionOf(id, v));
    }

    Optional<Version> version(String registry, String schema, long number) {
        return store.get(VERSION_INDEX + registry + "/" + schema + "/" + padded(number))
                .flatMap(id -> version(new String(id, java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** The id of the version of {@code registry}/{@code schema} whose definition has {@code digest}, if any. */
    Optional<String> versionIdByDigest(String registry, String schema, String digest) {
        return store.get(DIGEST + registry + "/" + schema + "/" + digest)
                .map(id -> new String(id, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The characters of every definition kept in this account's region. */
    long definitionChars() {
        return store.get(USAGE).map(v -> Long.parseLong(new String(v, java.nio.charset.StandardCharsets.US_ASCII)))
                .orElse(0L);
    }

    void putDefinitionChars(Map<String, byte[]> changes, long chars) {
        changes.put(USAGE, Long.toString(chars).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** The index keys of one schema's versions, in version order. */
    SortedMap<String, byte[]> versionIndex(String registry, String schema) {
        return store.scan(VERSION_INDEX + registry + "/" + schema + "/");
    }

    static String padded(long number) {
        return String.format("%010d", number);
    }

    /** Something was committed between a call's reads and its commit: the call must be run again. */
    static final class Stale extends RuntimeException {
        Stale() {
            super("stale", null, false, false);
        }
    }

    /**
     * Commits {@code changes} if nothing was committed since {@code readVersion}.
     *
     * @throws Stale if something was
     */
    synchronized void commit(long readVersion, Map<String, byte[]> changes) {
        try {
            store.commitIfVersion(readVersion, changes);
        } catch (StaleVersionException e) {
            throw new Stale();
        }
    }

    void putRegistry(Map<String, byte[]> changes, Registry r) {
        changes.put(REGISTRY + r.name(), json(g -> {
            g.writeStringField("description", r.description());
            writeTags(g, r.tags());
            g.writeNumberField("createdMs", r.createdMs());
            g.writeNumberField("updatedMs", r.updatedMs());
        }));
    }

    void putSchema(Map<String, byte[]> changes, Schema s) {
        changes.put(SCHEMA + s.registry() + "/" + s.name(), json(g -> {
            g.writeStringField("dataFormat", s.dataFormat());
            g.writeStringField("compatibility", s.compatibility());
            g.writeStringField("description", s.description());
            writeTags(g, s.tags());
            g.writeNumberField("latest", s.latest());
            g.writeNumberField("next", s.next());
            g.writeNumberField("checkpoint", s.checkpoint());
            g.writeNumberField("createdMs", s.createdMs());
            g.writeNumberField("updatedMs", s.updatedMs());
        }));
    }

    void putVersion(Map<String, byte[]> changes, Version v) {
        changes.put(VERSION + v.id(), json(g -> {
            g.writeStringField("registry", v.registry());
            g.writeStringField("schema", v.schema());
            g.writeNumberField("number", v.number());
            g.writeStringField("definition", v.definition());
            g.writeStringField("digest", v.digest());
            g.writeNumberField("createdMs", v.createdMs());
        }));
        changes.put(VERSION_INDEX + v.registry() + "/" + v.schema() + "/" + padded(v.number()),
                v.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        changes.put(DIGEST + v.registry() + "/" + v.schema() + "/" + v.digest(),
                v.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static Map<String, byte[]> changes() {
        return new LinkedHashMap<>();
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] json(Fields fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeTags(JsonGenerator g, Map<String, String> tags) throws IOException {
        g.writeObjectFieldStart("tags");
        for (Map.Entry<String, String> t : tags.entrySet()) {
            g.writeStringField(t.getKey(), t.getValue());
        }
        g.writeEndObject();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(byte[] value) {
        try (JsonParser p = JSON.createParser(value)) {
            p.nextToken();
            return (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored Glue value does not parse", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> tagsOf(Map<String, Object> m) {
        Object t = m.get("tags");
        return t == null ? Map.of() : new LinkedHashMap<>((Map<String, String>) (Map<?, ?>) t);
    }

    private static long longOf(Map<String, Object> m, String field) {
        return ((Number) m.get(field)).longValue();
    }

    private static Registry registryOf(String name, byte[] value) {
        Map<String, Object> m = read(value);
        return new Registry(name, (String) m.get("description"), tagsOf(m), longOf(m, "createdMs"),
                longOf(m, "updatedMs"));
    }

    private static Schema schemaOf(String registry, String name, byte[] value) {
        Map<String, Object> m = read(value);
        return new Schema(registry, name, (String) m.get("dataFormat"), (String) m.get("compatibility"),
                (String) m.get("description"), tagsOf(m), longOf(m, "latest"), longOf(m, "next"),
                longOf(m, "checkpoint"), longOf(m, "createdMs"), longOf(m, "updatedMs"));
    }

    private static Version versionOf(String id, byte[] value) {
        Map<String, Object> m = read(value);
        return new Version(id, (String) m.get("registry"), (String) m.get("schema"), longOf(m, "number"),
                (String) m.get("definition"), (String) m.get("digest"), longOf(m, "createdMs"));
    }
}
