package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SubscribeToShard from the AWS SDK for JavaScript v3 ({@code @aws-sdk/client-kinesis}) with its default client,
 * HTTP/2 with prior knowledge: {@code subscribe-to-shard.mjs} registers a consumer, subscribes from TRIM_HORIZON
 * after writing a backlog, iterates {@code response.EventStream} with {@code for await} until every record has
 * arrived in order, then writes a few more and waits for those to be pushed on the same subscription.
 */
class JsSdkV3SubscribeTest {
    private static final Path SOURCES = Path.of(System.getProperty("millrace.repo"), "millrace-it", "src", "test",
            "js");

    @TempDir
    static Path work;
    private static MillraceProcess server;

    @BeforeAll
    static void start() throws Exception {
        String npm = ExternalCommand.require("npm", "install Node.js and npm (apt-get install -y nodejs npm)");
        for (String file : List.of("package.json", "subscribe-to-shard.mjs")) {
            Files.copy(SOURCES.resolve(file), work.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        ExternalCommand.Result install = ExternalCommand.run(
                List.of(npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"),
                work, Map.of(), 300);
        assertThat(install.exitCode()).as("npm install: %s", install.stderr()).isZero();
        server = MillraceProcess.start(work.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void everyRecordArrivesInOrderThroughTheEventStreamIterator() throws Exception {
        String node = ExternalCommand.require("node", "install Node.js (apt-get install -y nodejs)");
        ExternalCommand.Result r = ExternalCommand.run(
                List.of(node, "subscribe-to-shard.mjs", server.endpoint().toString(), "js-fan-out", "20000", "10",
                        "60"),
                work, Map.of(), 120);
        assertThat(r.exitCode()).as("stdout %s stderr %s", r.stdout(), r.stderr()).isZero();
        assertThat(r.stdout()).contains("\"written\":20010,\"received\":20010,\"inOrder\":true")
                .contains("\"otherEvents\":[]").contains("\"continuationIsLast\":true")
                .contains("\"protocols\":[\"h2\"]").contains("\"error\":null");
    }
}
