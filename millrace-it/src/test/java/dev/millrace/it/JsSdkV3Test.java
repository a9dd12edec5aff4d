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
 * The AWS SDK for JavaScript v3 ({@code @aws-sdk/client-kinesis}) with its default client, which speaks HTTP/2 with
 * prior knowledge to an {@code http://} endpoint: 1,000 sequential calls with no protocol error, and every record
 * written read back. kinesalite fails this (HTTP/1.1 only).
 */
class JsSdkV3Test {
    @TempDir
    static Path work;
    private static MillraceProcess server;

    @BeforeAll
    static void start() throws Exception {
        ExternalCommand.installJsScripts(work, "kinesis-sdk-v3.mjs");
        server = MillraceProcess.start(work.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void thousandSequentialCallsOverHttp2WithoutAProtocolError() throws Exception {
        String node = ExternalCommand.require("node", "install Node.js (apt-get install -y nodejs)");
        ExternalCommand.Result r = ExternalCommand.run(
                List.of(node, "kinesis-sdk-v3.mjs", server.endpoint().toString(), "js-sdk", "1000"),
                work, Map.of(), 300);
        assertThat(r.exitCode()).as("stdout %s stderr %s", r.stdout(), r.stderr()).isZero();
        assertThat(r.stdout()).contains("\"errors\":0").contains("\"protocols\":[\"h2\"]")
                .containsPattern("\"calls\":1\\d{3}");
    }
}
