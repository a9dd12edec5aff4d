package dev.millrace.lambda.poll;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RestartBackoffTest {

    @Test
    void theWaitDoublesPerRestartUpToTheLongestAndProgressStartsItOver() {
        RestartBackoff backoff = new RestartBackoff(100, 350);
        long nowMs = 1_000;
        // First sight of a stopped worker books the base wait.
        assertThat(backoff.due(nowMs)).isFalse();
        assertThat(backoff.due(nowMs + 99)).isFalse();
        assertThat(backoff.due(nowMs + 100)).isTrue();
        assertThat(backoff.waitMs()).isEqualTo(200);
        assertThat(backoff.due(2_000)).isFalse();
        assertThat(backoff.due(2_200)).isTrue();
        assertThat(backoff.waitMs()).as("capped").isEqualTo(350);
        backoff.progressed();
        assertThat(backoff.waitMs()).isEqualTo(100);
        assertThat(backoff.due(5_000)).isFalse();
        assertThat(backoff.due(5_100)).isTrue();
    }
}
