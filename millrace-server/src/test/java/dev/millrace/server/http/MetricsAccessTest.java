package dev.millrace.server.http;

import dev.millrace.auth.Identities;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteSink;
import dev.millrace.metrics.PrometheusExposition;
import dev.millrace.metrics.StorageGauges;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.security.PolicyGatekeeper;
import dev.millrace.server.security.RequestAuthenticator;
import dev.millrace.server.security.ServerIdentities;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may read {@code GET /metrics} on the API port: anyone with {@code --auth none}; with {@code --auth sigv4} only
 * this machine (an embedded channel has no loopback address, so it stands for another machine); nobody when
 * {@code --metrics-address} moved the metrics away, where the port answers as to any unknown path.
 */
class MetricsAccessTest {
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final KinesisMetrics metrics = new KinesisMetrics(Clock.systemUTC(), MinuteSink.NONE);
    private final PrometheusExposition exposition = new PrometheusExposition(metrics, StorageGauges.NONE);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    private String get(Apis apis, String path, int expectedStatus) throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel(new KinesisHttpHandler(apis, executor));
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path));
        executor.submit(() -> { }).get(); // the scrape runs on the API executor
        channel.runPendingTasks();
        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(expectedStatus);
            return response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
        }
    }

    private Apis apis(boolean sigv4, boolean servesMetrics) {
        KinesisApi kinesis = new KinesisApi(ApiModel.kinesis(), scope -> null, Account.DEFAULT);
        return new Apis(kinesis, null, null, null, null, sigv4 ? new RequestAuthenticator(ServerIdentities.of(
                Identities.EMPTY), Clock.systemUTC()) : null, new PolicyGatekeeper(Clock.systemUTC()),
                PerAccount.single(null), PerAccount.single(null), servesMetrics ? exposition : null);
    }

    @Test
    void withoutAuthenticationAnyoneReadsThem() throws Exception {
        metrics.account("000000000000", "us-east-1").stream("open").stored(2, 9);
        String text = get(apis(false, true), "/metrics", 200);
        assertThat(text).contains("kinesis_incoming_records_total{account=\"000000000000\",region=\"us-east-1\","
                + "stream=\"open\"} 2.0");
        assertThat(get(apis(false, true), "/metrics?name[]=x", 200)).contains("kinesis_incoming_records_total");
    }

    @Test
    void withSigV4OnlyThisMachineReadsThem() throws Exception {
        metrics.account("000000000000", "us-east-1").stream("secret").stored(1, 1);
        String body = get(apis(true, true), "/metrics", 403);
        assertThat(body).contains("AccessDeniedException").doesNotContain("secret");
    }

    @Test
    void movedAwayTheApiPortDoesNotServeThem() throws Exception {
        metrics.account("000000000000", "us-east-1").stream("moved").stored(1, 1);
        String body = get(apis(false, false), "/metrics", 403);
        assertThat(body).doesNotContain("kinesis_");
    }
}
