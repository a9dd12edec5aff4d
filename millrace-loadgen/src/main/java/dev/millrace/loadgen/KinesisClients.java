package dev.millrace.loadgen;

import dev.millrace.loadgen.BenchSettings.HttpVersion;
import dev.millrace.loadgen.BenchSettings.PutClient;
import dev.millrace.loadgen.BenchSettings.ReadClient;
import dev.millrace.loadgen.BenchSettings.WireProtocol;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientAsyncConfiguration;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The generator's AWS SDK clients, all async on the Netty HTTP client:
 * <ul>
 *   <li>{@link #data()}: PutRecord(s) and GetRecords, over {@code --http}, with the SDK's retries off so that every
 *   failure and throttle is counted (and the measured latency is one attempt's);</li>
 *   <li>{@link #control()}: stream and consumer management, on the same connections, with the SDK's retries;</li>
 *   <li>{@link #getRecords()}: the polling readers' GetRecords, on the data client or, with {@code --read-client
 *   lean}, on a {@link LeanKinesis} connection each;</li>
 *   <li>{@link #lean()}: those lean connections, also PutRecord's and PutRecords' with {@code --put-client lean};</li>
 *   <li>{@link #fanOut()}: SubscribeToShard, always HTTP/2 (the only version the operation has), on its own
 *   connections so that long-lived event streams do not share a connection pool with puts.</li>
 * </ul>
 * JSON is chosen with the system property {@code aws.cborEnabled=false}, which the SDK reads when a client is
 * built; this JVM runs nothing else, so setting it process-wide is safe.
 *
 * <p>Thread-safe, as the SDK's clients are.
 */
final class KinesisClients implements AutoCloseable {
    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(120);

    private final SdkAsyncHttpClient dataHttp;
    private final KinesisAsyncClient data;
    private final KinesisAsyncClient control;
    private final SdkAsyncHttpClient fanOutHttp;
    private final KinesisAsyncClient fanOut;
    private final LeanKinesis lean;
    private final ReadClient readClient;

    KinesisClients(BenchSettings settings, int pollingReaders, int fanOutReaders) {
        if (settings.protocol() == WireProtocol.JSON) {
            System.setProperty("aws.cborEnabled", "false");
        }
        // Room for every in-flight put and every reader's GetRecords, so none of them waits for a connection
        // (a wait there would be the generator's latency, not the server's).
        int maxConcurrency = settings.concurrency() + pollingReaders + 8;
        this.dataHttp = httpClient(settings, settings.http(), maxConcurrency);
        // No call timeout on puts and GetRecords either: it costs a timer task per call, and the HTTP client's read
        // and write timeouts already bound a call that gets no answer.
        this.data = builder(settings, dataHttp).overrideConfiguration(overrides(false, false)).build();
        this.control = builder(settings, dataHttp).overrideConfiguration(overrides(true, true)).build();
        this.readClient = settings.readClient();
        boolean leanReads = pollingReaders > 0 && settings.readClient() == ReadClient.LEAN;
        this.lean = leanReads || settings.putClient() == PutClient.LEAN
                ? new LeanKinesis(settings, credentials(settings)) : null;
        if (fanOutReaders > 0) {
            this.fanOutHttp = httpClient(settings, HttpVersion.HTTP_2, fanOutReaders + 8);
            // No call timeout: a subscription is one call that lasts up to 5 minutes.
            this.fanOut = builder(settings, fanOutHttp).overrideConfiguration(overrides(false, false)).build();
        } else {
            this.fanOutHttp = null;
            this.fanOut = null;
        }
    }

    KinesisAsyncClient data() {
        return data;
    }

    KinesisAsyncClient control() {
        return control;
    }

    /** GetRecords for one more polling reader. */
    GetRecordsClient getRecords() {
        return readClient == ReadClient.LEAN
                ? GetRecordsClient.lean(lean.connection()) : GetRecordsClient.sdk(data);
    }

    /** The lean connections' client; only when --read-client or --put-client asked for it. */
    LeanKinesis lean() {
        if (lean == null) {
            throw new IllegalStateException("no lean client in this run");
        }
        return lean;
    }

    /** The SubscribeToShard client; only when fan-out readers were asked for. */
    KinesisAsyncClient fanOut() {
        if (fanOut == null) {
            throw new IllegalStateException("no fan-out readers in this run");
        }
        return fanOut;
    }

    private static SdkAsyncHttpClient httpClient(BenchSettings settings, HttpVersion http, int maxConcurrency) {
        NettyNioAsyncHttpClient.Builder b = NettyNioAsyncHttpClient.builder()
                .protocol(http == HttpVersion.HTTP_2 ? Protocol.HTTP2 : Protocol.HTTP1_1)
                .maxConcurrency(maxConcurrency)
                .maxPendingConnectionAcquires(Math.max(10_000, maxConcurrency))
                .connectionAcquisitionTimeout(Duration.ofSeconds(60))
                .connectionTimeout(Duration.ofSeconds(10))
                // Fan-out events come at least every 5 s (AWS, Millrace) or every second (kinesis-mock).
                .readTimeout(Duration.ofSeconds(60))
                .writeTimeout(Duration.ofSeconds(60))
                .tcpKeepAlive(true);
        if (http == HttpVersion.HTTP_2) {
            // KCL's settings for SubscribeToShard: a 512 KiB window per stream and a PING every minute.
            b.http2Configuration(h -> h.initialWindowSize(512 * 1024).healthCheckPingPeriod(Duration.ofSeconds(60)));
        }
        if (settings.eventLoopThreads() > 0) {
            b.eventLoopGroupBuilder(SdkEventLoopGroup.builder().numberOfThreads(settings.eventLoopThreads()));
        }
        return b.build();
    }

    private static KinesisAsyncClientBuilder builder(BenchSettings settings, SdkAsyncHttpClient http) {
        KinesisAsyncClientBuilder b = KinesisAsyncClient.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials(settings))
                .httpClient(http)
                // Completions run on the Netty thread that read the response: the generator's callbacks only
                // count and hand a slot back, never block, so the SDK's default hop to another pool would cost a
                // thread switch per request for nothing.
                .asyncConfiguration(ClientAsyncConfiguration.builder()
                        .advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR,
                                (Executor) Runnable::run)
                        .build());
        if (settings.endpoint() != null) {
            b.endpointOverride(settings.endpoint());
        }
        return b;
    }

    private static AwsCredentialsProvider credentials(BenchSettings settings) {
        if (settings.defaultCredentials() || settings.endpoint() == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        // Emulators check that a request is signed, not by whom.
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDMILLRACEBENCH", "millrace-bench"));
    }

    private static ClientOverrideConfiguration overrides(boolean retries, boolean callTimeout) {
        ClientOverrideConfiguration.Builder b = ClientOverrideConfiguration.builder();
        if (callTimeout) {
            b.apiCallTimeout(API_CALL_TIMEOUT);
        }
        if (!retries) {
            b.retryStrategy(AwsRetryStrategy.doNotRetry());
        }
        return b.build();
    }

    @Override
    public void close() {
        data.close();
        control.close();
        dataHttp.close();
        if (lean != null) {
            lean.close();
        }
        if (fanOut != null) {
            fanOut.close();
            fanOutHttp.close();
        }
    }
}
