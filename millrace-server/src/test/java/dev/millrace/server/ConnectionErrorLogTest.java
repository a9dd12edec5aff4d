package dev.millrace.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that break the protocol cost the log one line each kind, not a stack trace per connection: HTTP/2
 * connections that send a bad frame after the preface, and plain HTTP sent to the TLS port (a failed handshake).
 */
class ConnectionErrorLogTest {
    private static final int BAD_CONNECTIONS = 5;
    private static final String PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    @TempDir
    Path dir;
    private MillraceServer server;
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void start() throws Exception {
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0)
                .withTls(new TlsConfig(0, null, null)));
        server.start();
        events.start();
        root.addAppender(events);
    }

    @AfterEach
    void stop() throws Exception {
        root.detachAppender(events);
        server.close();
    }

    private List<ILoggingEvent> warnings() {
        return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
    }

    @Test
    void badHttp2ConnectionsAreOneLineWithoutAStack() throws Exception {
        for (int i = 0; i < BAD_CONNECTIONS; i++) {
            try (RawHttp raw = new RawHttp(server.address().getPort())) {
                // A SETTINGS frame on stream 1 (SETTINGS belong to stream 0): a connection error, PROTOCOL_ERROR.
                byte[] frame = {0, 0, 0, 4, 0, 0, 0, 0, 1};
                raw.send(PREFACE + new String(frame, StandardCharsets.ISO_8859_1));
                assertThat(raw.closedByServer(5_000)).isTrue();
            }
        }
        assertNoStacksAndAtMostOneLine();
    }

    @Test
    void failedTlsHandshakesAreOneLineWithoutAStack() throws Exception {
        for (int i = 0; i < BAD_CONNECTIONS; i++) {
            try (RawHttp raw = new RawHttp(server.tlsAddress().getPort())) {
                raw.send(RawHttp.head("Kinesis_20131202.ListStreams", "Content-Length: 2\r\n") + "{}");
                assertThat(raw.closedByServer(5_000)).isTrue();
            }
        }
        assertNoStacksAndAtMostOneLine();
    }

    private void assertNoStacksAndAtMostOneLine() {
        // The server's own threads may log the last close a moment after the client sees it.
        org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ofMillis(300)).until(() -> true);
        assertThat(warnings()).allSatisfy(e -> assertThat(e.getThrowableProxy())
                .as(e.getFormattedMessage()).isNull());
        assertThat(warnings()).as(warnings().toString()).hasSizeLessThanOrEqualTo(1);
    }
}
