package dev.millrace.storage.log;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.embedded.EmbeddedStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** No shard key, whatever a stream is named, addresses a path outside the engine's shards directory. */
class ShardPathTest {
    @TempDir
    Path tmp;

    @Test
    void onlyNamesOfEntriesDirectlyInTheDirectoryAreAccepted() {
        Path shards = tmp.resolve("data").resolve("shards");
        for (String name : new String[] {"..", ".", "a/../..", "../shards-x", "x/..", "a/b", "/etc", "a/../b",
                "../../outside"}) {
            assertThatThrownBy(() -> EmbeddedLogStore.within(shards, name)).as(name)
                    .isInstanceOf(StorageException.class).hasMessageContaining("is not in");
        }
        for (String name : new String[] {"..a", "a..", "a..b", "1796000000000-..-000000", "...", ".x"}) {
            assertThat(EmbeddedLogStore.within(shards, name)).as(name).isEqualTo(shards.resolve(name));
        }
        // A relative shards directory is judged by where it is, not by how it is spelled.
        assertThat(EmbeddedLogStore.within(Path.of("data/shards"), "k")).isEqualTo(Path.of("data/shards/k"));
        assertThatThrownBy(() -> EmbeddedLogStore.within(Path.of("data/../shards"), ".."))
                .isInstanceOf(StorageException.class);
    }

    @Test
    void keysMadeOfDotsCreateAndDeleteOnlyUnderTheShardsDirectory() throws IOException {
        Path dataDir = tmp.resolve("data");
        Path neighbour = Files.createDirectories(tmp.resolve("neighbour"));
        Files.writeString(neighbour.resolve("keep"), "x");
        Files.writeString(tmp.resolve("keep"), "x");
        List<String> keys = List.of("1796000000000-..-000000", "1796000000000-.-000000", "1796000000000-..a-000000",
                "a..b");
        try (EmbeddedStorage storage = EmbeddedStorage.open(LogConfig.defaults(dataDir), new ManualClock(0))) {
            for (String key : keys) {
                storage.logs().openOrCreate(key).append(LogTesting.records(key, 3));
            }
            for (String key : new String[] {"..", ".", "../neighbour", "..a"}) {
                assertThatThrownBy(() -> storage.logs().openOrCreate(key)).as(key)
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> storage.logs().delete(key)).as(key)
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(entries(dataDir.resolve("shards"))).containsExactlyInAnyOrderElementsOf(keys);
            for (String key : keys) {
                storage.logs().delete(key);
            }
            assertThat(entries(dataDir.resolve("shards"))).isEmpty();
        }
        assertThat(entries(tmp)).containsExactlyInAnyOrder("data", "neighbour", "keep");
        assertThat(entries(neighbour)).containsExactly("keep");
    }

    private static Set<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }
}
