package dev.millrace.server.http;

import dev.millrace.auth.Identities;
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
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code --auth sigv4}, a node's view of its cluster ({@code GET /_millrace/cluster}: its addresses and role) is
 * refused to callers from another machine (an embedded channel has no loopback address) that do not hold the
 * cluster's token; {@code /health} still answers anyone; with {@code --auth none} both answer.
 */
class ClusterStatusAccessTest {
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    private FullHttpResponse get(Apis apis, String path) {
        EmbeddedChannel channel = new EmbeddedChannel(new KinesisHttpHandler(apis, executor));
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path));
        channel.runPendingTasks();
        return channel.readOutbound();
    }

    private static Apis apis(boolean sigv4) {
        KinesisApi kinesis = new KinesisApi(ApiModel.kinesis(), scope -> null, Account.DEFAULT);
        return new Apis(kinesis, null, null, null, null, sigv4 ? new RequestAuthenticator(ServerIdentities.of(
                Identities.EMPTY), Clock.systemUTC()) : null, new PolicyGatekeeper(Clock.systemUTC()),
                PerAccount.single(null), PerAccount.single(null));
    }

    @Test
    void onlyThisMachineAndTheClustersNodesMayReadTheClusterStatusWithSigV4() {
        FullHttpResponse refused = get(apis(true), "/_millrace/cluster");
        try {
            assertThat(refused.status().code()).isEqualTo(403);
            assertThat(refused.content().toString(StandardCharsets.UTF_8)).contains("AccessDeniedException");
        } finally {
            refused.release();
        }
        FullHttpResponse health = get(apis(true), "/health");
        assertThat(health.status().code()).isEqualTo(200);
        health.release();
        FullHttpResponse open = get(apis(false), "/_millrace/cluster");
        try {
            assertThat(open.status().code()).isEqualTo(200);
            assertThat(open.content().toString(StandardCharsets.UTF_8)).contains("\"writer\":true");
        } finally {
            open.release();
        }
    }
}
