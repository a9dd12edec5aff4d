package dev.millrace.server.lambda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

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
    void aMissingStagingDirectoryIsMadeAtStart() {
        Path staging = dataDir.resolve("lambda-staging");

        try (EventSourceMappings mappings = start(staging)) {
            assertThat(mappings).isNotNull();
            assertThat(staging).isDirectory();
        }
    }
}
