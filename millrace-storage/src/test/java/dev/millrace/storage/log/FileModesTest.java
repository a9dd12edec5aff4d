package dev.millrace.storage.log;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.embedded.EmbeddedStorage;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing in a data dir is readable by other local users: directories 0700, files 0600, old data tightened; a data
 * dir its owner made open to others is left so, with a warning.
 */
class FileModesTest {
    @TempDir
    Path tmp;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /**
     * Writes everything the engine writes: segments (rolled), indexes, checkpoints, a sealed marker, a deleted shard,
     * the journal and a snapshot.
     */
    private void writeEverything(Path dataDir) {
        LogConfig config = LogConfig.defaults(dataDir).withSegmentBytes(4096);
        try (EmbeddedStorage storage = EmbeddedStorage.open(config, clock)) {
            ShardLog a = storage.logs().openOrCreate("a");
            for (int i = 0; i < 50; i++) {
                a.append(LogTesting.records("r" + i, 5));
            }
            a.seal();
            storage.logs().openOrCreate("doomed").append(LogTesting.records("d", 1));
            storage.logs().delete("doomed");
            storage.metadata().commit(Map.of("k", "v".getBytes(StandardCharsets.UTF_8)));
        }
        try (FileMetadataStore metadata = FileMetadataStore.open(dataDir, 16)) { // compacts: a snapshot
            metadata.commit(Map.of("k2", "v".getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static List<Path> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.toList();
        }
    }

    @Test
    void everythingTheEngineCreatesIsPrivate() throws IOException {
        Path dataDir = tmp.resolve("data");
        writeEverything(dataDir);
        List<Path> all = tree(dataDir);
        assertThat(all).anyMatch(p -> p.toString().endsWith(".index")).anyMatch(p -> p.endsWith("sealed"))
                .anyMatch(p -> p.endsWith("checkpoint")).anyMatch(p -> p.endsWith("journal"))
                .anyMatch(p -> p.endsWith("snapshot")).anyMatch(p -> p.toString().endsWith(".log"));
        for (Path p : all) {
            assertThat(mode(p)).as(p.toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
        }
    }

    @Test
    void whatAnOlderVersionWroteIsTightenedWhenOpenedButTheDataDirKeepsItsOwnersMode() throws IOException {
        Path dataDir = tmp.resolve("data");
        writeEverything(dataDir);
        for (Path p : tree(dataDir)) { // what a version that left modes to a 022 umask wrote
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
                    : "rw-r--r--"));
        }
        try (EmbeddedStorage storage = EmbeddedStorage.open(LogConfig.defaults(dataDir), clock)) {
            storage.logs().openOrCreate("a").read(0, 1, 1024);
        }
        for (Path p : tree(dataDir)) {
            String expected = p.equals(dataDir) ? "rwxr-xr-x" : Files.isDirectory(p) ? "rwx------" : "rw-------";
            assertThat(mode(p)).as(p.toString()).isEqualTo(expected);
        }
        assertThat(FileModes.openDataDirWarning(dataDir)).contains(dataDir.toString(), "rwxr-xr-x",
                "chmod 700 " + dataDir.toAbsolutePath());
    }

    @Test
    void aDataDirTheEngineMakesIsPrivateAndWarnsOfNothing() throws IOException {
        Path dataDir = tmp.resolve("a").resolve("b").resolve("data");
        writeEverything(dataDir);
        assertThat(mode(tmp.resolve("a"))).isEqualTo("rwx------");
        assertThat(mode(dataDir)).isEqualTo("rwx------");
        assertThat(FileModes.openDataDirWarning(dataDir)).isNull();
        for (String open : new String[] {"rwx-----x", "rwxr-----", "rwx---r--"}) {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString(open));
            assertThat(FileModes.openDataDirWarning(dataDir)).as(open).contains(open);
        }
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("r-x------"));
        assertThat(FileModes.openDataDirWarning(dataDir)).isNull();
    }

    @Test
    void aSharedDirectoryGivenAsDataDirKeepsItsModeButTheEngineDirectoriesArePrivate() throws IOException {
        Path shared = tmp.resolve("shared");
        Files.createDirectories(shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(shared.resolve("someone-elses-file"), "x");
        try (EmbeddedStorage storage = EmbeddedStorage.open(LogConfig.defaults(shared), clock)) {
            storage.logs().openOrCreate("a").append(LogTesting.records("r", 1));
        }
        assertThat(mode(shared)).isEqualTo("rwxr-xr-x");
        assertThat(mode(shared.resolve("shards"))).isEqualTo("rwx------");
        assertThat(mode(shared.resolve("metadata"))).isEqualTo("rwx------");
    }
}
