package dev.millrace.lambda.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.lambda.poll.MappingCheckpoints.Checkpoint;
import dev.millrace.lambda.poll.MappingCheckpoints.CheckpointMovedException;
import dev.millrace.storage.meta.FileMetadataStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappingCheckpointsTest {

    @TempDir
    Path dir;

    @Test
    void checkpointsSurviveReopeningInEveryForm() {
        Checkpoint plain = Checkpoint.at(42);
        Checkpoint done = new Checkpoint(99, true, -1, null);
        Checkpoint window = new Checkpoint(7, false, 1_765_000_000_000L, "{\"count\": 3, \"note\": \"a b\"}");
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            MappingCheckpoints checkpoints = new MappingCheckpoints(store);
            checkpoints.commit("m1", "shardId-000000000000", Optional.empty(), plain);
            checkpoints.commit("m1", "shardId-000000000001", Optional.empty(), done);
            checkpoints.commit("m2", "shardId-000000000000", Optional.empty(), window);
        }
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            MappingCheckpoints checkpoints = new MappingCheckpoints(store);
            assertThat(checkpoints.read("m1", "shardId-000000000000")).contains(plain);
            assertThat(checkpoints.read("m1", "shardId-000000000001")).contains(done);
            assertThat(checkpoints.read("m2", "shardId-000000000000")).contains(window);
            assertThat(checkpoints.read("m2", "shardId-000000000001")).isEmpty();
            checkpoints.forget("m1");
            assertThat(checkpoints.read("m1", "shardId-000000000000")).isEmpty();
            assertThat(checkpoints.read("m2", "shardId-000000000000")).contains(window);
        }
    }

    @Test
    void aTaskThatReadAnOlderCheckpointCannotMoveIt() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            MappingCheckpoints checkpoints = new MappingCheckpoints(store);
            checkpoints.commit("m", "s", Optional.empty(), Checkpoint.at(10));
            checkpoints.commit("m", "s", Optional.of(Checkpoint.at(10)), Checkpoint.at(20));
            // A task that still believes the checkpoint is 10 (it lost the shard meanwhile) must not move it back.
            assertThatThrownBy(() -> checkpoints.commit("m", "s", Optional.of(Checkpoint.at(10)), Checkpoint.at(15)))
                    .isInstanceOf(CheckpointMovedException.class).hasMessageContaining("is 20, not 10");
            assertThatThrownBy(() -> checkpoints.commit("m", "s", Optional.empty(), Checkpoint.at(1)))
                    .isInstanceOf(CheckpointMovedException.class);
            assertThat(checkpoints.read("m", "s")).contains(Checkpoint.at(20));
        }
    }

    @Test
    void startingCheckpointsAreCommittedWithTheMarkerOnceAndOnlyForAMappingWithNoCheckpointAtAll() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            MappingCheckpoints checkpoints = new MappingCheckpoints(store);
            checkpoints.markStarted("new", "LATEST", () -> Map.of("s0", Checkpoint.at(5), "s1", Checkpoint.at(9)));
            assertThat(checkpoints.started("new")).isTrue();
            assertThat(checkpoints.read("new", "s1")).contains(Checkpoint.at(9));
            // Marked: never fixed again (a shard without a checkpoint now is read from its start).
            checkpoints.markStarted("new", "LATEST", () -> Map.of("s2", Checkpoint.at(3)));
            assertThat(checkpoints.read("new", "s2")).isEmpty();
            // Started by an older Millrace (a checkpoint, no marker): only the marker, nothing skipped.
            checkpoints.commit("old", "s0", Optional.empty(), Checkpoint.at(4));
            checkpoints.markStarted("old", "LATEST", () -> Map.of("s1", Checkpoint.at(9)));
            assertThat(checkpoints.started("old")).isTrue();
            assertThat(checkpoints.read("old", "s1")).isEmpty();
            checkpoints.forget("new");
            assertThat(checkpoints.started("new")).isFalse();
            assertThat(store.scan(MappingCheckpoints.PREFIX + "new/")).isEmpty();
            assertThat(checkpoints.started("old")).isTrue();
        }
    }
}
