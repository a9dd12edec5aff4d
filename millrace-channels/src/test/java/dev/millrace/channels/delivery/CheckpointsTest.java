package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.meta.FileMetadataStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {

    @TempDir
    Path dir;

    @Test
    void checkpointsSurviveReopeningAndAreForgottenPerChannel() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            Checkpoints checkpoints = new Checkpoints(store);
            assertThat(checkpoints.next("c1", "shardId-000000000000")).isEmpty();
            checkpoints.commit("c1", "shardId-000000000000", 42);
            checkpoints.commit("c1", "shardId-000000000001", 7);
            checkpoints.commit("c10", "shardId-000000000000", 9);
            checkpoints.commit("c1", "shardId-000000000000", 43);
        }
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            Checkpoints checkpoints = new Checkpoints(store);
            assertThat(checkpoints.next("c1", "shardId-000000000000")).hasValue(43);
            assertThat(store.get("channel-checkpoint/c1/shardId-000000000001")).hasValueSatisfying(v ->
                    assertThat(new String(v)).isEqualTo("7"));
            checkpoints.commitPending("c1", "shardId-000000000002", java.util.Optional.empty(), 5, 9, 1234);
            assertThat(checkpoints.read("c1", "shardId-000000000002")).hasValue(new Checkpoints.Checkpoint(5, 9, 1234));
            assertThat(checkpoints.read("c1", "shardId-000000000002").orElseThrow().pending()).isTrue();
            assertThat(checkpoints.read("c1", "shardId-000000000000").orElseThrow().pending()).isFalse();
            assertThat(checkpoints.next("c1", "shardId-000000000002")).hasValue(5);
            checkpoints.forget("c1");
            assertThat(checkpoints.read("c1", "shardId-000000000002")).isEmpty();
            assertThat(checkpoints.next("c1", "shardId-000000000000")).isEmpty();
            assertThat(checkpoints.next("c1", "shardId-000000000001")).isEmpty();
            assertThat(checkpoints.next("c10", "shardId-000000000000")).hasValue(9);
        }
    }

    @Test
    void aValueWithoutTheFirstArrivalIsStillReadAndAStaleExpectationChangesNothing() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            Checkpoints checkpoints = new Checkpoints(store);
            store.commit(java.util.Map.of("channel-checkpoint/c/shardId-000000000000", "5:9".getBytes()));
            Checkpoints.Checkpoint old = checkpoints.read("c", "shardId-000000000000").orElseThrow();
            assertThat(old).isEqualTo(new Checkpoints.Checkpoint(5, 9, -1));

            checkpoints.commit("c", "shardId-000000000000", old, 9);
            assertThatThrownBy(() -> checkpoints.commit("c", "shardId-000000000000", old, 9))
                    .isInstanceOf(Checkpoints.CheckpointMovedException.class);
            assertThatThrownBy(() -> checkpoints.commitPending("c", "shardId-000000000000", java.util.Optional.empty(),
                    5, 9, 1)).isInstanceOf(Checkpoints.CheckpointMovedException.class);
            assertThat(checkpoints.read("c", "shardId-000000000000")).hasValue(new Checkpoints.Checkpoint(9, -1));
            assertThat(checkpoints.channelIds()).containsExactly("c");
        }
    }

    @Test
    void aCommitLostToAnotherKeysCommitIsTriedAgainAndOneLostToTheSameKeyIsNot() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            String key = "channel-checkpoint/c/shardId-000000000000";
            AtomicInteger attempts = new AtomicInteger();
            AtomicReference<String> rivalKey = new AtomicReference<>("other/key");
            // Before the first conditional commit, another writer's commit moves the store's version.
            MetadataStore racing = (MetadataStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                        if (method.getName().equals("commitIfVersion") && attempts.incrementAndGet() == 1) {
                            store.commit(Map.of(rivalKey.get(), "7".getBytes(StandardCharsets.US_ASCII)));
                        }
                        try {
                            return method.invoke(store, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            Checkpoints checkpoints = new Checkpoints(racing);
            checkpoints.commitPending("c", "shardId-000000000000", Optional.empty(), 0, 5, 1);
            assertThat(attempts).as("the first attempt went stale").hasValue(2);
            assertThat(checkpoints.read("c", "shardId-000000000000")).hasValue(new Checkpoints.Checkpoint(0, 5, 1));

            attempts.set(0);
            rivalKey.set(key);
            Checkpoints.Checkpoint pending = new Checkpoints.Checkpoint(0, 5, 1);
            assertThatThrownBy(() -> checkpoints.commit("c", "shardId-000000000000", pending, 5))
                    .isInstanceOf(Checkpoints.CheckpointMovedException.class);
            assertThat(attempts).hasValue(1);
            assertThat(checkpoints.read("c", "shardId-000000000000")).hasValue(new Checkpoints.Checkpoint(7, -1));
        }
    }
}
