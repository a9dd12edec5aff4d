package dev.millrace.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AWS SDK for JavaScript v3 ({@code @aws-sdk/client-kinesis}, its browser build bundled by esbuild) in a web page
 * in headless Chromium (Debian's {@code /usr/bin/chromium}, driven by playwright-core): the page is served by this
 * test from another origin than the server's (another port of 127.0.0.1), so each of its calls (CreateStream,
 * DescribeStreamSummary, PutRecord, PutRecords, ListShards, GetShardIterator, GetRecords) passes Chromium's CORS
 * checks: a preflight for the SDK's own headers, then {@code Access-Control-Allow-Origin} on every answer. The records
 * the page writes must come back. The scripts are in {@code src/test/js/browser}.
 *
 * <p>A missing Chromium fails the test (it does not skip it): {@code ./verify} installs it as root.
 */
class BrowserCorsTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final int RECORDS = 6;
    private static final long PAGE_TIMEOUT_MS = 30_000;
    private static final Map<String, String> SITE_TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "kinesis-page.js", "text/javascript; charset=utf-8");

    @TempDir
    static Path work;
    private static HttpServer site;
    private static MillraceProcess server;

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException(
                    "/usr/bin/chromium is missing: apt-get install -y chromium (./verify does, as root)");
        }
        ExternalCommand.installJsDir(work, "browser",
                "index.html", "kinesis-page.js", "bundle-page.mjs", "run-in-chromium.mjs");
        Path siteDir = Files.createDirectories(work.resolve("site"));
        ExternalCommand.Result bundle = ExternalCommand.run(
                List.of(node(), "bundle-page.mjs", siteDir.toString()), work, Map.of(), 120);
        assertThat(bundle.exitCode()).as("esbuild: %s %s", bundle.stdout(), bundle.stderr()).isZero();
        site = serveStatic(siteDir);
        server = MillraceProcess.start(work.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (site != null) {
            site.stop(0);
        }
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void pageOfAnotherOriginWritesAndReadsBackRecordsThroughCors() throws Exception {
        URI endpoint = server.endpoint();
        String pageOrigin = "http://127.0.0.1:" + site.getAddress().getPort();
        assertThat(pageOrigin).as("the page must not share the server's origin").isNotEqualTo(origin(endpoint));
        String prefix = "from-page-" + UUID.randomUUID();
        String pageUrl = pageOrigin + "/index.html?endpoint=" + encode(endpoint.toString())
                + "&stream=browser-cors&records=" + RECORDS + "&prefix=" + encode(prefix);

        ExternalCommand.Result r = ExternalCommand.run(List.of(node(), "run-in-chromium.mjs", pageUrl,
                work.resolve("chromium-profile").toString(), Long.toString(PAGE_TIMEOUT_MS)), work, Map.of(), 90);
        assertThat(r.exitCode()).as("the page did not finish: stdout %s stderr %s", r.stdout(), r.stderr())
                .isZero();

        JsonNode out = new ObjectMapper().readTree(r.stdout().strip().lines().reduce((a, b) -> b).orElseThrow());
        JsonNode report = out.get("report");
        assertThat(report.get("pageOrigin").asText()).isEqualTo(pageOrigin);
        assertThat(texts(report.get("calls"))).contains("CreateStreamCommand", "DescribeStreamSummaryCommand",
                "PutRecordCommand", "PutRecordsCommand", "ListShardsCommand", "GetShardIteratorCommand",
                "GetRecordsCommand");
        List<String> written = IntStream.range(0, RECORDS).mapToObj(i -> prefix + "-" + i).toList();
        assertThat(texts(report.get("written"))).containsExactlyElementsOf(written);
        assertThat(texts(report.get("read"))).as("records read back from %s shards", report.get("shards"))
                .containsExactlyInAnyOrderElementsOf(written);

        List<JsonNode> preflights = new ArrayList<>();
        out.get("preflights").forEach(preflights::add);
        assertThat(preflights).as("Chromium's CORS preflights").isNotEmpty().allSatisfy(p -> {
            assertThat(p.get("method").asText()).isEqualTo("OPTIONS");
            assertThat(origin(URI.create(p.get("url").asText()))).isEqualTo(origin(endpoint));
            assertThat(p.get("status").asInt()).isEqualTo(200);
            assertThat(p.get("requestHeaders").asText().split(","))
                    .contains("authorization", "content-type", "x-amz-date", "x-amz-target", "x-amz-user-agent");
        });
    }

    private static String node() {
        return ExternalCommand.require("node", "install Node.js (apt-get install -y nodejs)");
    }

    /** Serves the bundled page from {@code dir} on a free port of 127.0.0.1: its own origin. */
    private static HttpServer serveStatic(Path dir) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            try (exchange) {
                String name = exchange.getRequestURI().getPath().substring(1);
                String type = SITE_TYPES.get(name);
                if (type == null || !exchange.getRequestMethod().equals("GET")) {
                    send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                } else {
                    send(exchange, 200, type, Files.readAllBytes(dir.resolve(name)));
                }
            }
        });
        http.start();
        return http;
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(body);
        }
    }

    private static String origin(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.asText()));
        return texts;
    }
}
