package dev.millrace.lambda.mapping;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.Registration;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store the engine drives: each state settles to what the user asked for, Deleting removes the mapping and its
 * pair, the processing result is kept (and not recommitted when unchanged), the codec keeps every member, and the
 * change listener hears mapping commits only.
 */
class MappingStoreTest {
    static final String UUID = "0d1f2e3c-4b5a-6978-8796-a5b4c3d2e1f0";
    static final String SOURCE = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
    static final String FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:fn";

    @TempDir
    Path dir;
    FileMetadataStore metadata;
    final ManualClock clock = new ManualClock(1_000L);
    MappingStore store;

    @BeforeEach
    void open() {
        metadata = FileMetadataStore.open(dir);
        store = new MappingStore(metadata, clock);
    }

    @AfterEach
    void close() {
        metadata.close();
    }

    static EventSourceMapping mapping(MappingState state, boolean enabled) {
        return new EventSourceMapping(UUID, FUNCTION, SOURCE, "AT_TIMESTAMP", 500L, 10, 1, 2, 60, true, 3, 30,
                List.of("ReportBatchItemFailures"), List.of("{\"data\":{}}"), "arn:aws:s3:::b",
                "arn:aws:kms:eu-west-1:123456789012:key/k", List.of("EventCount"), Map.of("k", "v"), enabled, state,
                EventSourceMapping.USER_ACTION, EventSourceMapping.NO_RECORDS_PROCESSED, 900L);
    }

    @Test
    void keepsEveryMember() {
        EventSourceMapping m = mapping(MappingState.CREATING, true);
        store.create(store.version(), m);
        assertThat(store.get(UUID)).contains(m);
        assertThat(store.all()).containsExactly(m);
        assertThat(store.uuidOfPair(SOURCE, FUNCTION)).contains(UUID);
        EventSourceMapping bare = new EventSourceMapping(UUID, FUNCTION, SOURCE, "LATEST", null, 100, 0, 1, -1, false,
                -1, 0, List.of(), List.of(), null, null, null, Map.of(), true, MappingState.ENABLED, "User action", "OK",
                1L);
        store.replace(store.version(), m, bare);
        assertThat(store.get(UUID)).contains(bare);
        assertThat(bare.functionName()).isEqualTo("fn");
        assertThat(mapping(MappingState.ENABLED, true).withState(MappingState.ENABLED, 1L).functionName())
                .isEqualTo("fn");
    }

    @Test
    void settlesEachStateToWhatTheUserAskedFor() {
        Object[][] cases = {
                {MappingState.CREATING, true, MappingState.ENABLED}, {MappingState.CREATING, false, MappingState.DISABLED},
                {MappingState.UPDATING, true, MappingState.ENABLED}, {MappingState.UPDATING, false, MappingState.DISABLED},
                {MappingState.ENABLING, true, MappingState.ENABLED}, {MappingState.DISABLING, false, MappingState.DISABLED},
                {MappingState.ENABLED, true, MappingState.ENABLED}, {MappingState.DISABLED, false, MappingState.DISABLED}};
        for (Object[] c : cases) {
            metadata.commit(Map.of(MappingStore.MAPPING + UUID, MappingCodec.encode(mapping((MappingState) c[0],
                    (Boolean) c[1]))));
            clock.advanceMs(1);
            EventSourceMapping settled = store.settle(UUID).orElseThrow();
            assertThat(settled.state()).as(c[0] + " enabled " + c[1]).isEqualTo(c[2]);
            assertThat(store.get(UUID)).contains(settled);
            boolean changed = c[0] != c[2];
            assertThat(settled.lastModifiedMs()).isEqualTo(changed ? clock.millis() : 900L);
        }
    }

    @Test
    void aMappingChangedSinceTheEngineActedIsNotSettled() {
        EventSourceMapping enabling = mapping(MappingState.ENABLING, true);
        store.create(store.version(), enabling);
        // The user disables it while the engine starts its workers for the Enabling version.
        EventSourceMapping disabling = mapping(MappingState.DISABLING, false).withState(MappingState.DISABLING, 5_000L);
        store.replace(store.version(), enabling, disabling);
        assertThat(store.settle(UUID, enabling.lastModifiedMs())).contains(disabling);
        assertThat(store.get(UUID)).contains(disabling);
        assertThat(store.settle(UUID, disabling.lastModifiedMs()).orElseThrow().state())
                .isEqualTo(MappingState.DISABLED);
    }

    @Test
    void settlingADeletingMappingRemovesItAndItsPair() {
        EventSourceMapping m = mapping(MappingState.ENABLED, true);
        store.create(store.version(), m);
        store.replace(store.version(), m, m.withState(MappingState.DELETING, 2_000L));
        assertThat(store.settle(UUID)).isEmpty();
        assertThat(metadata.scan("lambda/")).isEmpty();
        assertThat(store.settle(UUID)).isEmpty();
    }

    @Test
    void recordsTheProcessingResultOnlyWhenItChanges() {
        store.create(store.version(), mapping(MappingState.ENABLED, true));
        long before = metadata.version();
        store.recordProcessingResult(UUID, "OK");
        assertThat(store.get(UUID).orElseThrow().lastProcessingResult()).isEqualTo("OK");
        assertThat(metadata.version()).isEqualTo(before + 1);
        store.recordProcessingResult(UUID, "OK");
        assertThat(metadata.version()).isEqualTo(before + 1);
        store.recordProcessingResult("00000000-0000-0000-0000-000000000000", "OK");
        assertThat(metadata.version()).isEqualTo(before + 1);
    }

    @Test
    void theListenerHearsMappingChangesOnly() {
        AtomicInteger heard = new AtomicInteger();
        Registration r = store.onChange(heard::incrementAndGet);
        metadata.commit(Map.of("channel/x", new byte[] {1}));
        assertThat(heard).hasValue(0);
        store.create(store.version(), mapping(MappingState.CREATING, true));
        assertThat(heard).hasValue(1);
        store.settle(UUID);
        assertThat(heard).hasValue(2);
        r.close();
        store.recordProcessingResult(UUID, "OK");
        assertThat(heard).hasValue(2);
    }

    @Test
    void aLostRaceIsStale() {
        long read = store.version();
        metadata.commit(Map.of("channel/x", new byte[] {1}));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.create(read, mapping(MappingState.CREATING,
                true))).isInstanceOf(MappingStore.Stale.class);
        assertThat(store.all()).isEmpty();
    }
}
