package dev.millrace.server.http;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.security.PolicyGatekeeper;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console's files through the real handler: a fixture console in this module's test resources
 * ({@code millrace-console/}) stands in for millrace-console's build. Names that try to leave the console's
 * directory, files of kinds the console is not made of, and a build without the console all get a 404, never another
 * class-path resource. Scripts go gzipped to a client that says it accepts gzip, and only to one.
 */
class ConsoleFilesTest {
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    private FullHttpResponse get(String path) {
        return get(path, null);
    }

    private FullHttpResponse get(String path, String acceptEncoding) {
        KinesisApi kinesis = new KinesisApi(ApiModel.kinesis(), scope -> null, Account.DEFAULT);
        Apis apis = new Apis(kinesis, null, null, null, null, null, new PolicyGatekeeper(Clock.systemUTC()),
                PerAccount.single(null), PerAccount.single(null));
        EmbeddedChannel channel = new EmbeddedChannel(new KinesisHttpHandler(apis, executor));
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        if (acceptEncoding != null) {
            request.headers().set("Accept-Encoding", acceptEncoding);
        }
        channel.writeInbound(request);
        channel.runPendingTasks();
        return channel.readOutbound();
    }

    private static byte[] bytes(FullHttpResponse r) {
        try {
            return ByteBufUtil.getBytes(r.content());
        } finally {
            r.release();
        }
    }

    private static String body(FullHttpResponse r) {
        try {
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    @Test
    void thePageIsServedBelowASlashAndItsAssetsAreCachedForAYear() {
        FullHttpResponse bare = get("/console?endpoint=x");
        assertThat(bare.status().code()).isEqualTo(301);
        assertThat(bare.headers().get("Location")).isEqualTo("/console/?endpoint=x");
        bare.release();

        FullHttpResponse page = get("/console/");
        assertThat(page.status().code()).isEqualTo(200);
        assertThat(page.headers().get("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(page.headers().get("Cache-Control")).isEqualTo("no-cache");
        assertThat(page.headers().get("Content-Security-Policy")).contains("script-src 'self'")
                .contains("frame-ancestors 'none'");
        assertThat(body(page)).contains("console fixture");

        FullHttpResponse same = get("/console/index.html?x=1");
        assertThat(body(same)).contains("console fixture");

        FullHttpResponse script = get("/console/assets/index-Fx7a9.js");
        assertThat(script.status().code()).isEqualTo(200);
        assertThat(script.headers().get("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(script.headers().get("Cache-Control")).contains("immutable");
        assertThat(body(script)).contains("fixture");
    }

    @Test
    void namesOutsideTheConsoleOrOfOtherKindsAreNotFound() {
        for (String path : new String[] {"/console/../logback-test.xml", "/console/%2e%2e/logback-test.xml",
                "/console/assets/../../logback-test.xml", "/console//etc/passwd", "/console/notes.cfg",
                "/console/missing.js", "/console/assets\\index-Fx7a9.js", "/console/.hidden.js"}) {
            FullHttpResponse r = get(path);
            assertThat(r.status().code()).as(path).isEqualTo(404);
            assertThat(body(r)).as(path).startsWith("No such file in the web console");
        }
        FullHttpResponse elsewhere = get("/consoles");
        assertThat(elsewhere.status().code()).as("not the console's path").isNotEqualTo(200);
        elsewhere.release();
    }

    @Test
    void encodedAndDoubledTraversalsAreNotFound() {
        for (String path : new String[] {"/console/%2E%2E/logback-test.xml", "/console/..%2flogback-test.xml",
                "/console/..%2Flogback-test.xml", "/console/%2e%2e%2flogback-test.xml",
                "/console/%252e%252e/logback-test.xml", "/console/assets/%2e%2e/%2e%2e/logback-test.xml",
                "/console/assets/..%5c..%5clogback-test.xml", "/console/%c0%ae%c0%ae/logback-test.xml",
                "/console/..", "/console/assets/..", "/console/./index.html", "/console/assets/index-Fx7a9.js%00.html"}) {
            FullHttpResponse r = get(path);
            assertThat(r.status().code()).as(path).isEqualTo(404);
            assertThat(body(r)).as(path).startsWith("No such file in the web console");
        }
    }

    /** The class path is read once, at construction (server start), never while answering on an event loop. */
    @Test
    void filesAreReadAtStartAndAnsweredFromMemory() {
        AtomicInteger reads = new AtomicInteger();
        ClassLoader counting = new ClassLoader(null) {
            @Override
            public URL getResource(String name) {
                reads.incrementAndGet();
                return ConsoleFilesTest.class.getClassLoader().getResource(name);
            }

            @Override
            public InputStream getResourceAsStream(String name) {
                reads.incrementAndGet();
                return ConsoleFilesTest.class.getClassLoader().getResourceAsStream(name);
            }
        };
        ConsoleFiles files = new ConsoleFiles(counting);
        int atStart = reads.get();

        assertThat(files.answer("/console/", null).status()).isEqualTo(200);
        assertThat(new String(files.answer("/console/assets/index-Fx7a9.js", null).body(), StandardCharsets.UTF_8))
                .contains("fixture");
        assertThat(files.answer("/console/missing.js", null).status()).isEqualTo(404);
        assertThat(files.answer("/console/notes.cfg", null).status()).as("not a kind the console is made of")
                .isEqualTo(404);
        assertThat(reads.get()).as("no class-path read after the start").isEqualTo(atStart);
    }

    @Test
    void aBundleOverItsBoundKeepsWhatFitsAndAnswersTheRest404() {
        ConsoleFiles oneFile = new ConsoleFiles(ConsoleFilesTest.class.getClassLoader(), 1, 1 << 20);
        assertThat(oneFile.answer("/console/assets/chunk-Gz1b2.js", null).status()).as("the first, in name order")
                .isEqualTo(200);
        assertThat(oneFile.answer("/console/assets/index-Fx7a9.js", null).status()).isEqualTo(404);
        assertThat(oneFile.answer("/console/index.html", null).status()).isEqualTo(404);

        ConsoleFiles tenBytes = new ConsoleFiles(ConsoleFilesTest.class.getClassLoader(), 100, 10);
        assertThat(tenBytes.answer("/console/index.html", null).status()).isEqualTo(404);
    }

    /** The server's jar: the bundle is read from the jar's entries, the same way. */
    @Test
    void aBundleInAJarIsRead(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("console.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String[] entry : new String[][] {{"millrace-console/", null},
                    {"millrace-console/index.html", "<html>jarred</html>"},
                    {"millrace-console/assets/app-1.js", "console.log('jarred')"},
                    {"millrace-console/notes.cfg", "not served"}, {"other/secret.txt", "not the console's"}}) {
                out.putNextEntry(new JarEntry(entry[0]));
                if (entry[1] != null) {
                    out.write(entry[1].getBytes(StandardCharsets.UTF_8));
                }
                out.closeEntry();
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            ConsoleFiles files = new ConsoleFiles(loader);
            assertThat(new String(files.answer("/console/", null).body(), StandardCharsets.UTF_8)).contains("jarred");
            assertThat(files.answer("/console/assets/app-1.js", null).contentType()).startsWith("text/javascript");
            assertThat(files.answer("/console/notes.cfg", null).status()).isEqualTo(404);
            assertThat(files.answer("/console/../other/secret.txt", null).status()).isEqualTo(404);
        }
    }

    @Test
    void aBuildWithoutTheConsoleSaysSo() {
        ConsoleFiles none = new ConsoleFiles(new ClassLoader(null) { });
        ConsoleFiles.Answer a = none.answer("/console/", "gzip");
        assertThat(a.status()).isEqualTo(404);
        assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("not in this build");
    }

    @Test
    void scriptsGoGzippedToAClientThatAcceptsGzipAndAsTheyAreToOneThatDoesNot() throws Exception {
        FullHttpResponse plain = get("/console/assets/chunk-Gz1b2.js");
        assertThat(plain.headers().get("Content-Encoding")).isNull();
        assertThat(plain.headers().get("Vary")).isEqualTo("Accept-Encoding");
        byte[] original = bytes(plain);
        assertThat(new String(original, StandardCharsets.UTF_8)).startsWith("export const row0");

        FullHttpResponse zipped = get("/console/assets/chunk-Gz1b2.js", "gzip, deflate, br, zstd");
        assertThat(zipped.status().code()).isEqualTo(200);
        assertThat(zipped.headers().get("Content-Encoding")).isEqualTo("gzip");
        assertThat(zipped.headers().get("Vary")).isEqualTo("Accept-Encoding");
        assertThat(zipped.headers().get("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(zipped.headers().get("Cache-Control")).contains("immutable");
        byte[] sent = bytes(zipped);
        assertThat(zipped.headers().getInt("Content-Length")).isEqualTo(sent.length);
        assertThat(sent.length).as("gzip makes it smaller").isLessThan(original.length / 4);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(sent))) {
            assertThat(in.readAllBytes()).isEqualTo(original);
        }

        for (String refused : new String[] {"gzip;q=0, *", "identity", "br", "*;q=0"}) {
            FullHttpResponse r = get("/console/assets/chunk-Gz1b2.js", refused);
            assertThat(r.headers().get("Content-Encoding")).as(refused).isNull();
            assertThat(bytes(r)).as(refused).isEqualTo(original);
        }
        // Too small for gzip to help (its header alone is 18 bytes): sent as it is, to everyone.
        FullHttpResponse tiny = get("/console/assets/index-Fx7a9.js", "gzip");
        assertThat(tiny.headers().get("Content-Encoding")).isNull();
        assertThat(tiny.headers().get("Vary")).isNull();
        assertThat(body(tiny)).contains("fixture");
    }

    @Test
    void acceptEncodingIsReadWithItsWeights() {
        assertThat(ConsoleFiles.acceptsGzip("gzip")).isTrue();
        assertThat(ConsoleFiles.acceptsGzip("deflate, GZIP;q=0.5")).isTrue();
        assertThat(ConsoleFiles.acceptsGzip("x-gzip")).isTrue();
        assertThat(ConsoleFiles.acceptsGzip("br;q=1.0, *;q=0.1")).isTrue();
        assertThat(ConsoleFiles.acceptsGzip("*")).isTrue();
        assertThat(ConsoleFiles.acceptsGzip(null)).isFalse();
        assertThat(ConsoleFiles.acceptsGzip("")).isFalse();
        assertThat(ConsoleFiles.acceptsGzip("gzip;q=0")).isFalse();
        assertThat(ConsoleFiles.acceptsGzip("gzip; q=0.000, *")).as("named at 0 beats *").isFalse();
        assertThat(ConsoleFiles.acceptsGzip("gzip;q=zero")).as("a weight that is no number").isFalse();
        assertThat(ConsoleFiles.acceptsGzip("br, deflate")).isFalse();
    }
}
