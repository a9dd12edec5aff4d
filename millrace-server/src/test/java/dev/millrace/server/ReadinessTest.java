package dev.millrace.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /health/ready} and the streams of {@code --create-stream} ({@link InitialStreams}) on a real node: not
 * ready while they are CREATING, ready once ACTIVE; a restart finds them and creates nothing (warning about one
 * asked for with another shard count); a stream that cannot be created keeps the node unready with the reason.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class ReadinessTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;
    private MillraceServer server;
    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();

    @AfterEach
    void stop() throws InterruptedException {
        ((Logger) LoggerFactory.getLogger(InitialStreams.class)).detachAppender(warnings);
        if (server != null) {
            server.close();
        }
    }

    private URI start(long transitionDelayMs, int shardLimit, String... streams) throws InterruptedException {
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir)
                .withTransitionDelayMs(transitionDelayMs).withShardLimit(shardLimit));
        server.createAtStart(List.of(streams).stream().map(InitialStreams.Spec::parse).toList());
        InetSocketAddress address = server.start();
        return URI.create("http://127.0.0.1:" + address.getPort());
    }

    @Test
    void readyOnceTheStreamsAreActiveAndARestartCreatesNothing() throws Exception {
        URI endpoint = start(1_000, 100, "a:2", "b:on-demand");
        HttpResponse<String> early = get(endpoint, "/health/ready");
        assertThat(early.statusCode()).isEqualTo(503);
        assertThat(early.body()).contains("\"status\":\"not ready\"", "stream a is not ACTIVE yet",
                "stream b is not ACTIVE yet");
        assertThat(get(endpoint, "/health/live").statusCode()).isEqualTo(200);
        assertThat(get(endpoint, "/health").body()).isEqualTo("ok");
        await().atMost(Duration.ofSeconds(10)).until(() -> get(endpoint, "/health/ready").statusCode() == 200);
        assertThat(get(endpoint, "/health/ready").body()).isEqualTo("{\"status\":\"ready\"}");
        server.close();

        warnings.start();
        ((Logger) LoggerFactory.getLogger(InitialStreams.class)).addAppender(warnings);
        URI again = start(1_000, 100, "a:3", "b:on-demand");
        assertThat(get(again, "/health/ready").statusCode()).as("found ACTIVE, nothing to wait for").isEqualTo(200);
        assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.startsWith("Stream a exists with 2 open shards in PROVISIONED mode, not as "
                        + "--create-stream a:3 asks"))
                .noneMatch(m -> m.startsWith("Stream b exists with"));
    }

    @Test
    void aStreamThatCannotBeCreatedKeepsTheNodeUnready() throws Exception {
        URI endpoint = start(0, 3, "small:2", "big:5");
        HttpResponse<String> ready = get(endpoint, "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("stream big could not be created: LimitExceededException")
                .doesNotContain("stream small");
    }

    @Test
    void specsAreCheckedBeforeAnythingStarts() {
        assertThat(InitialStreams.Spec.parse("orders")).isEqualTo(new InitialStreams.Spec("orders", 1));
        assertThat(InitialStreams.Spec.parse("o.r_d-3:12")).isEqualTo(new InitialStreams.Spec("o.r_d-3", 12));
        assertThat(InitialStreams.Spec.parse("e:ON-DEMAND").onDemand()).isTrue();
        for (String bad : List.of("", ":2", "a b:1", "a:0", "a:x", "a:10001", "a:-1")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> InitialStreams.Spec.parse(bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new InitialStreams(List.of(
                InitialStreams.Spec.parse("a:1"), InitialStreams.Spec.parse("a:2"))))
                .hasMessageContaining("names a twice");
    }

    private static HttpResponse<String> get(URI endpoint, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(endpoint.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
