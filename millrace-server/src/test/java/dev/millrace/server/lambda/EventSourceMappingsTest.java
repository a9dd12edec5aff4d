package dev.millrace.server.lambda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The staging directory EventSourceMappings prepares at start. Not thread-safe; JUnit runs one test at a time. */
class EventSourceMappingsTest {
    @TempDir
    Path dataDir;

    /** Made as the server makes it at start; nothing but the staging directory is touched before a refresh. */
    private EventSourceMappings start(Path stagingDir) {
        return new EventSourceMappings(null, "000000000000", null, null, null, stagingDir, () -> true,
                Clock.systemUTC(), null, null, null);
    }

    @Test
    void theFilesAKilledServerLeftInTheStagingDirectoryAreDeletedAtStart() throws Exception {
        Path staging = Files.createDirectories(dataDir.resolve("lambda-staging"));
        Files.writeString(staging.resolve("on-failure-123.json"), "{\"requestContext\":{}}");
        Files.writeString(staging.resolve("on-failure-456.json"), "");

        try (EventSourceMappings mappings = start(staging)) {
            assertThat(mappings).isNotNull();
            try (var files = Files.list(staging)) {
                assertThat(files.toList()).isEmpty();
            }
        }
    }

    @Test
    void onlyTheStagedInvocationRecordsAreDeletedNotOtherFilesNorWhatLinksPointTo() throws Exception {
        Path staging = Files.createDirectories(dataDir.resolve("lambda-staging"));
        Path elsewhere = Files.writeString(dataDir.resolve("on-failure-kept.json"), "kept");
        Files.createSymbolicLink(staging.resolve("on-failure-link.json"), elsewhere);
        Files.writeString(staging.resolve("notes.txt"), "not ours");
        Files.createDirectories(staging.resolve("on-failure-dir.json"));
        Files.writeString(staging.resolve("on-failure-789.json"), "{}");

        try (EventSourceMappings mappings = start(staging)) {
            assertThat(mappings).isNotNull();
            assertThat(staging.resolve("on-failure-789.json")).doesNotExist();
            assertThat(staging.resolve("notes.txt")).exists();
            assertThat(staging.resolve("on-failure-dir.json")).isDirectory();
            assertThat(elsewhere).hasContent("kept");
        }
    }

    @Test
    void aStagingDirectoryThatCannotBeMadeStopsTheStart() throws Exception {
        Path staging = Files.writeString(dataDir.resolve("lambda-staging"), "a file, not a directory");

        assertThatThrownBy(() -> start(staging)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("lambda-staging");
    }

    @Test
    void aMissingStagingDirectoryIsMadeAtStartForTheOwnerOnly() throws Exception {
        Path staging = dataDir.resolve("lambda-staging");

        try (EventSourceMappings mappings = start(staging)) {
            assertThat(mappings).isNotNull();
            assertThat(staging).isDirectory();
            if (staging.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                assertThat(Files.getPosixFilePermissions(staging))
                        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            }
        }
    }
}
