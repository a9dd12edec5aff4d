package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
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
    @TempDir
    static Path work;
    private static MillraceProcess server;

    @BeforeAll
    static void start() throws Exception {
        ExternalCommand.installJsScripts(work, "subscribe-to-shard.mjs");
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
