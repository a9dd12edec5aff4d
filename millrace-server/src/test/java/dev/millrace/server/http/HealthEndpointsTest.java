package dev.millrace.server.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** /health/ready's reasons name streams: only a caller allowed to see them reads them; the status is the same. */
class HealthEndpointsTest {
    private final Readiness waiting = () -> List.of("stream secret-orders is CREATING, not ACTIVE yet");

    @Test
    void theNodesOwnMachineReadsWhyItIsNotReady() {
        HealthEndpoints.Answer a = HealthEndpoints.answer("/health/ready", waiting, true);
        assertThat(a.status()).isEqualTo(503);
        assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("secret-orders");
    }

    @Test
    void othersLearnOnlyThatItIsNot() {
        HealthEndpoints.Answer a = HealthEndpoints.answer("/health/ready?verbose", waiting, false);
        assertThat(a.status()).isEqualTo(503);
        assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("not ready").doesNotContain("secret");
        assertThat(HealthEndpoints.answer("/health/ready", List::of, false).status()).isEqualTo(200);
    }
}
