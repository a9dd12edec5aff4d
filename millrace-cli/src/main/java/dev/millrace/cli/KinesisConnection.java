package dev.millrace.cli;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

import java.time.Duration;

/**
 * The SDK clients of one command run: a sync {@link KinesisClient} over {@code HttpURLConnection} for every call,
 * and, only when {@code tail --consumer} asks for it, a {@link KinesisAsyncClient} on Netty for SubscribeToShard,
 * the one operation that needs HTTP/2.
 *
 * <p>Credentials: the SDK's default chain (environment, {@code --profile}/{@code AWS_PROFILE}, SSO, web identity,
 * container and instance roles). When an endpoint was given and that chain finds nothing, requests are signed with
 * placeholder keys: a local Millrace with {@code --auth none} checks no signature, and any endpoint that does
 * answers with an access error (exit code 4) that says so. Against AWS itself there is no such fallback.
 *
 * <p>Thread-safe, as the SDK's clients are.
 */
final class KinesisConnection implements AutoCloseable {
    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final AwsCredentialsProvider PLACEHOLDER =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDMILLRACECLI", "millrace-cli"));

    private final KinesisOptions.Resolved where;
    private final AwsCredentialsProvider credentials;
    private final KinesisClient sync;
    private KinesisAsyncClient async;

    KinesisConnection(KinesisOptions.Resolved where) {
        this.where = where;
        DefaultCredentialsProvider.Builder chain = DefaultCredentialsProvider.builder();
        if (where.profile() != null) {
            chain.profileName(where.profile());
        }
        this.credentials = where.endpoint() == null ? chain.build()
                : AwsCredentialsProviderChain.builder().reuseLastProviderEnabled(true)
                        .credentialsProviders(chain.build(), PLACEHOLDER).build();
        KinesisClientBuilder b = KinesisClient.builder()
                .region(where.region())
                .credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60))
                        .build())
                .overrideConfiguration(overrides(API_CALL_TIMEOUT));
        if (where.endpoint() != null) {
            b.endpointOverride(where.endpoint());
        }
        this.sync = b.build();
    }

    /** Given clients (tests' fakes); closed with the connection. */
    KinesisConnection(KinesisClient sync, KinesisAsyncClient async) {
        this.where = null;
        this.credentials = null;
        this.sync = sync;
        this.async = async;
    }

    KinesisClient sync() {
        return sync;
    }

    /** The SubscribeToShard client, built on first use. */
    synchronized KinesisAsyncClient async() {
        if (async == null && where == null) {
            throw new IllegalStateException("no async client was given");
        }
        if (async == null) {
            KinesisAsyncClientBuilder b = KinesisAsyncClient.builder()
                    .region(where.region())
                    .credentialsProvider(credentials)
                    .httpClient(NettyNioAsyncHttpClient.builder()
                            .protocol(Protocol.HTTP2)
                            .connectionTimeout(Duration.ofSeconds(10))
                            // Events come at least every 5 s while a subscription lasts (AWS and Millrace).
                            .readTimeout(Duration.ofSeconds(30))
                            // KCL's settings for SubscribeToShard: a 512 KiB window and a PING every minute.
                            .http2Configuration(h -> h.initialWindowSize(512 * 1024)
                                    .healthCheckPingPeriod(Duration.ofSeconds(60)))
                            .build())
                    // No call timeout: a subscription is one call that lasts up to 5 minutes.
                    .overrideConfiguration(overrides(null));
            if (where.endpoint() != null) {
                b.endpointOverride(where.endpoint());
            }
            async = b.build();
        }
        return async;
    }

    private ClientOverrideConfiguration overrides(Duration callTimeout) {
        ClientOverrideConfiguration.Builder o = ClientOverrideConfiguration.builder();
        if (callTimeout != null) {
            o.apiCallTimeout(callTimeout);
        }
        if (where.profile() != null) {
            // The profile's own settings (endpoint_url, retry mode...) as the AWS CLI would use them.
            o.defaultProfileName(where.profile());
        }
        return o.build();
    }

    @Override
    public synchronized void close() {
        sync.close();
        if (async != null) {
            async.close();
        }
    }
}
