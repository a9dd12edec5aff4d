package dev.millrace.it;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.Http2Metric;
import software.amazon.awssdk.http.HttpMetric;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Real AWS SDK for Java v2 Kinesis (and Glue) clients pointed at a Millrace endpoint: region us-east-1, static credentials
 * {@code AKIDEXAMPLE}/{@code secret}, and a {@link Recorder} that notes the content types on the wire (and, for the
 * async client, whether requests went over HTTP/2).
 *
 * <p>Thread-safe; the clients are.
 */
final class Clients {
    static final Region REGION = Region.US_EAST_1;
    static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret"));
    static final String CBOR = "application/x-amz-cbor-1.1";
    static final String JSON = "application/x-amz-json-1.1";
    private static final String CBOR_PROPERTY = "aws.cborEnabled";

    private Clients() {
    }

    /**
     * A sync client over {@code java.net.HttpURLConnection} (HTTP/1.1). With {@code cbor} false it is built while
     * the system property {@code aws.cborEnabled=false} is set: the SDK reads it when the client is built, so other
     * clients in this JVM are unaffected.
     */
    static KinesisClient sync(URI endpoint, boolean cbor, Recorder recorder) {
        String previous = System.getProperty(CBOR_PROPERTY);
        if (!cbor) {
            System.setProperty(CBOR_PROPERTY, "false");
        }
        try {
            return syncBuilder(endpoint, REGION, Duration.ofSeconds(60))
                    .overrideConfiguration(overrides(recorder, true))
                    .build();
        } finally {
            if (previous == null) {
                System.clearProperty(CBOR_PROPERTY);
            } else {
                System.setProperty(CBOR_PROPERTY, previous);
            }
        }
    }

    /** A sync CBOR client whose requests are signed for {@code region}. */
    static KinesisClient inRegion(URI endpoint, Region region) {
        return syncBuilder(endpoint, region, Duration.ofSeconds(60))
                .overrideConfiguration(overrides(new Recorder(), false)).build();
    }

    /**
     * The builder every sync client here starts from: HttpURLConnection, static credentials. The wire format is
     * chosen when the client is built (see {@link #sync}).
     */
    private static KinesisClientBuilder syncBuilder(URI endpoint, Region region, Duration socketTimeout) {
        return KinesisClient.builder()
                .endpointOverride(endpoint)
                .region(region)
                .credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(socketTimeout)
                        .build());
    }

    /**
     * A sync CBOR client that retries up to {@code maxAttempts} times with the SDK's standard backoff: for tests of
     * throttling, where the SDK's default of 3 attempts may all fall, by the backoff's jitter, within the time the
     * allowance takes to refill.
     */
    static KinesisClient syncRetrying(URI endpoint, int maxAttempts) {
        return syncBuilder(endpoint, REGION, Duration.ofSeconds(60))
                .overrideConfiguration(b -> b.apiCallTimeout(Duration.ofSeconds(90)).retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).build()))
                .build();
    }

    /** A Glue client (the Schema Registry subset) on the same endpoint, region and credentials. */
    static GlueClient glue(URI endpoint) {
        return GlueClient.builder().endpointOverride(endpoint).region(REGION).credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.builder().build()).build();
    }

    /** A Lambda client (event source mappings) on the same endpoint, region and credentials. */
    static software.amazon.awssdk.services.lambda.LambdaClient lambda(URI endpoint) {
        return software.amazon.awssdk.services.lambda.LambdaClient.builder().endpointOverride(endpoint).region(REGION)
                .credentialsProvider(CREDENTIALS).httpClient(UrlConnectionHttpClient.builder().build()).build();
    }

    /** A sync CBOR client that never retries, for writers that must know exactly what was acknowledged. */
    static KinesisClient syncNoRetries(URI endpoint) {
        return syncBuilder(endpoint, REGION, Duration.ofSeconds(30))
                .overrideConfiguration(overrides(new Recorder(), false)).build();
    }

    /**
     * The async client on the Netty NIO HTTP client. Kinesis makes HTTP/2 its default protocol; over {@code http://}
     * the SDK sends the h2 preface straight away (prior knowledge). Set explicitly here so that a change of default
     * cannot quietly turn this suite into HTTP/1.1.
     */
    static KinesisAsyncClient async(URI endpoint, Recorder recorder) {
        return KinesisAsyncClient.builder()
                .endpointOverride(endpoint)
                .region(REGION)
                .credentialsProvider(CREDENTIALS)
                .httpClient(NettyNioAsyncHttpClient.builder()
                        .protocol(Protocol.HTTP2)
                        .connectionTimeout(Duration.ofSeconds(5))
                        .readTimeout(Duration.ofSeconds(60))
                        .build())
                .overrideConfiguration(overrides(recorder, true))
                .build();
    }

    private static ClientOverrideConfiguration overrides(Recorder recorder, boolean retries) {
        ClientOverrideConfiguration.Builder b = ClientOverrideConfiguration.builder()
                .addExecutionInterceptor(recorder)
                .addMetricPublisher(recorder)
                .apiCallTimeout(Duration.ofSeconds(90));
        if (!retries) {
            b.retryStrategy(AwsRetryStrategy.doNotRetry());
        }
        return b.build();
    }

    /**
     * A {@link KinesisClient} view of an async client: every call goes to the async method of the same name and
     * parameters and waits for it, and its failure is thrown as it is (not wrapped in a {@link CompletionException}).
     * This lets one test suite drive both kinds of client. Paginators ({@code …Paginator} methods) are the sync
     * client's own, which page by calling this view, hence the async client; the async client's publishers are
     * tested on their own.
     */
    static KinesisClient blocking(KinesisAsyncClient async) {
        return (KinesisClient) Proxy.newProxyInstance(KinesisClient.class.getClassLoader(),
                new Class<?>[] {KinesisClient.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close":
                            async.close();
                            return null;
                        case "toString":
                            return "blocking(" + async + ")";
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            break;
                    }
                    if (method.isDefault() && method.getName().endsWith("Paginator")) {
                        return InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    Method target;
                    try {
                        target = KinesisAsyncClient.class.getMethod(method.getName(), method.getParameterTypes());
                    } catch (NoSuchMethodException e) {
                        throw new UnsupportedOperationException(method + " has no async counterpart", e);
                    }
                    Object result;
                    try {
                        result = target.invoke(async, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (!(result instanceof CompletableFuture<?>)) {
                        return result;
                    }
                    try {
                        return ((CompletableFuture<?>) result).join();
                    } catch (CompletionException e) {
                        throw e.getCause() == null ? e : e.getCause();
                    }
                });
    }

    /**
     * Records, for every HTTP exchange, the request and response {@code Content-Type}, and for every API call
     * whether its HTTP client reported HTTP/2 stream metrics (the Netty client reports
     * {@link Http2Metric#LOCAL_STREAM_WINDOW_SIZE_IN_BYTES} only for requests sent on an HTTP/2 stream).
     *
     * <p>Thread-safe.
     */
    static final class Recorder implements ExecutionInterceptor, MetricPublisher {
        final ConcurrentLinkedQueue<String> requestContentTypes = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> responseContentTypes = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> httpClients = new ConcurrentLinkedQueue<>();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger http2Calls = new AtomicInteger();
        /**
         * While set, every request's body is replaced by these bytes: the SDK never sends a mistyped member, so this
         * is how a test makes the server answer a SerializationException to a real client.
         */
        final AtomicReference<byte[]> bodyOverride = new AtomicReference<>();

        @Override
        public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
            byte[] body = bodyOverride.get();
            return body == null ? context.httpRequest() : context.httpRequest().toBuilder()
                    .putHeader("Content-Length", Integer.toString(body.length)).build();
        }

        @Override
        public Optional<RequestBody> modifyHttpContent(Context.ModifyHttpRequest context,
                                                       ExecutionAttributes attributes) {
            byte[] body = bodyOverride.get();
            return body == null ? context.requestBody() : Optional.of(RequestBody.fromBytes(body));
        }

        @Override
        public Optional<AsyncRequestBody> modifyAsyncHttpContent(Context.ModifyHttpRequest context,
                                                                 ExecutionAttributes attributes) {
            byte[] body = bodyOverride.get();
            return body == null ? context.asyncRequestBody() : Optional.of(AsyncRequestBody.fromBytes(body));
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            requestContentTypes.add(context.httpRequest().firstMatchingHeader("Content-Type").orElse("(none)"));
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            responseContentTypes.add(context.httpResponse().firstMatchingHeader("Content-Type").orElse("(none)"));
        }

        @Override
        public void publish(MetricCollection metrics) {
            calls.incrementAndGet();
            if (contains(metrics, Http2Metric.LOCAL_STREAM_WINDOW_SIZE_IN_BYTES.name())) {
                http2Calls.incrementAndGet();
            }
            collectClientNames(metrics);
        }

        private static boolean contains(MetricCollection metrics, String metricName) {
            if (metrics.stream().anyMatch(r -> r.metric().name().equals(metricName))) {
                return true;
            }
            for (MetricCollection child : metrics.children()) {
                if (contains(child, metricName)) {
                    return true;
                }
            }
            return false;
        }

        private void collectClientNames(MetricCollection metrics) {
            List<String> names = metrics.metricValues(HttpMetric.HTTP_CLIENT_NAME);
            httpClients.addAll(names);
            metrics.children().forEach(this::collectClientNames);
        }

        @Override
        public void close() {
        }
    }
}
