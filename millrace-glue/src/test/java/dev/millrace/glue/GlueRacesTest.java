package dev.millrace.glue;

import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Other services commit to the same metadata store (channel checkpoints, stream transitions) between a Glue call's
 * reads and its commit: the call is run again from its reads and succeeds, once; only a store that changes before
 * every attempt answers ConcurrentModificationException, with nothing half kept.
 */
class GlueRacesTest {
    @TempDir
    Path dir;
    FileMetadataStore store;
    /** How many more commits of the Glue calls an unrelated commit slips in before. */
    int interferences;
    GlueApi api;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir);
        api = new GlueApi(new Interfering(), new ManualClock(1_765_000_000_000L), "us-east-1", "123456789012");
    }

    @AfterEach
    void close() {
        store.close();
    }

    private GlueApi.Result call(String op, String body) {
        return api.handle(GlueApi.TARGET_PREFIX + op, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aCallThatLostARaceIsRunAgain() {
        interferences = 3;
        GlueApi.Result r = call("CreateSchema", "{\"SchemaName\":\"s\",\"DataFormat\":\"JSON\","
                + "\"SchemaDefinition\":\"{}\"}");
        assertThat(r.httpStatus()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(interferences).isZero();
        assertThat(store.scan(SchemaRegistryStore.VERSION)).hasSize(1);
        assertThat(store.scan(SchemaRegistryStore.REGISTRY)).hasSize(1);
    }

    @Test
    void aStoreThatNeverSettlesIsAConcurrentModification() {
        interferences = Integer.MAX_VALUE;
        GlueApi.Result r = call("CreateRegistry", "{\"RegistryName\":\"r\"}");
        assertThat(r.httpStatus()).isEqualTo(400);
        assertThat(r.errorType()).isEqualTo("ConcurrentModificationException");
        assertThat(store.scan("glue/")).isEmpty();
    }

    /** The store, with an unrelated commit before each Glue commit while {@link #interferences} lasts. */
    private final class Interfering implements MetadataStore {
        @Override
        public Optional<byte[]> get(String key) {
            return store.get(key);
        }

        @Override
        public SortedMap<String, byte[]> scan(String prefix) {
            return store.scan(prefix);
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            return store.commit(changes);
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            if (interferences > 0) {
                interferences--;
                store.commit(Map.of("channels/checkpoint", new byte[] {1}));
            }
            return store.commitIfVersion(expectedVersion, changes);
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return store.onCommit(listener);
        }

        @Override
        public long version() {
            return store.version();
        }

        @Override
        public void close() {
        }
    }
}
