package dev.millrace.server.http;

import dev.millrace.protocol.Account;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.protocol.ApiModel;
import dev.millrace.server.api.KinesisApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client calling unknown operations as fast as it can (a fuzzer, a newer SDK in a loop) gets its 400 each time but
 * costs the log one INFO line per interval, and the next line says how many were left out.
 */
class UnknownOperationLogTest {
    private static final long INTERVAL_NANOS = 10_000_000_000L;

    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final Logger gateLog = (Logger) LoggerFactory.getLogger(KinesisGate.class);
    private final AtomicLong nanos = new AtomicLong(1_000);
    private final KinesisGate gate = new KinesisGate(new KinesisApi(ApiModel.kinesis(), scope -> null, Account.DEFAULT),
            ApiModel.kinesis().targetPrefix(), new RateLimitedLog(gateLog, nanos::get, INTERVAL_NANOS));

    @BeforeEach
    void capture() {
        events.start();
        gateLog.addAppender(events);
    }

    @AfterEach
    void release() {
        gateLog.detachAppender(events);
    }

    private KinesisGate.Verdict callUnknown(int i) {
        return gate.check(new KinesisGate.Request(true, "/", "application/x-amz-json-1.1",
                "Kinesis_20131202.NoSuchOperation" + i, "{}".getBytes(StandardCharsets.UTF_8),
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
                        + "SignedHeaders=host;x-amz-date, Signature=abc", true, "req-" + i));
    }

    private List<String> infoLines() {
        return events.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void aThousandUnknownOperationsAreOneLinePerInterval() {
        for (int i = 0; i < 1_000; i++) {
            KinesisGate.Verdict v = callUnknown(i);
            assertThat(v.answer().httpStatus()).isEqualTo(400);
            assertThat(v.answer().errorType()).isEqualTo("UnknownOperationException");
        }
        assertThat(infoLines()).hasSize(1);
        assertThat(infoLines().get(0)).contains("NoSuchOperation0");

        nanos.addAndGet(INTERVAL_NANOS);
        callUnknown(1_000);
        assertThat(infoLines()).hasSize(2);
        assertThat(infoLines().get(1)).contains("NoSuchOperation1000").contains("999 more like it not logged");
    }
}
