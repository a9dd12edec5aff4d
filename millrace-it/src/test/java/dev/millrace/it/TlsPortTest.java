package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;
import software.amazon.awssdk.utils.AttributeMap;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The optional TLS port with its self-signed certificate: the Java SDK async client over https (HTTP/2, the SDK's
 * Netty client offering no ALPN by default), including SubscribeToShard, and curl over ALPN h2 and http/1.1.
 */
class TlsPortTest {
    private static final Pattern TLS_LINE = Pattern.compile("Millrace TLS listening on https://\\S+:(\\d+)");

    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private static URI https;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"), "--tls-port", "0");
        server.awaitReady();
        await().atMost(Duration.ofSeconds(10)).until(() -> TLS_LINE.matcher(server.output()).find());
        Matcher m = TLS_LINE.matcher(server.output());
        assertThat(m.find()).isTrue();
        https = URI.create("https://127.0.0.1:" + m.group(1));
    }

    @AfterAll
    static void stop() {
        assertThat(server.stop()).isZero();
    }

    private static KinesisAsyncClient trustAllClient() {
        SdkAsyncHttpClient http = NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                .buildWithDefaults(AttributeMap.builder()
                        .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build());
        return KinesisAsyncClient.builder().endpointOverride(https).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKID", "secret")))
                .httpClient(http).build();
    }

    @Test
    void theAsyncSdkWorksOverHttpsIncludingSubscribeToShard() throws Exception {
        assertThat(dir.resolve("data/tls/server.crt")).exists();
        try (KinesisAsyncClient kinesis = trustAllClient()) {
            kinesis.createStream(b -> b.streamName("tls").shardCount(1)).get();
            await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStreamSummary(b -> b.streamName("tls"))
                    .get().streamDescriptionSummary().streamStatus() == StreamStatus.ACTIVE);
            String consumer = kinesis.registerStreamConsumer(b -> b.consumerName("c")
                    .streamARN("arn:aws:kinesis:us-east-1:000000000000:stream/tls")).get().consumer().consumerARN();
            await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStreamConsumer(b -> b.consumerARN(consumer))
                    .get().consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
            kinesis.putRecord(b -> b.streamName("tls").partitionKey("k").data(SdkBytes.fromUtf8String("secret")))
                    .get();
            List<Record> received = new CopyOnWriteArrayList<>();
            kinesis.subscribeToShard(b -> b.consumerARN(consumer).shardId("shardId-000000000000")
                            .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)),
                    SubscribeToShardResponseHandler.builder().subscriber(SubscribeToShardResponseHandler.Visitor
                            .builder().onSubscribeToShardEvent(e -> received.addAll(e.records())).build()).build());
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
            assertThat(received.get(0).data().asUtf8String()).isEqualTo("secret");
        }
    }

    @Test
    void curlNegotiatesH2AndHttp11WithAlpn() throws Exception {
        for (String version : List.of("--http2", "--http1.1")) {
            ExternalCommand.Result r = ExternalCommand.run(List.of("curl", "-sk", version, "-o", "/dev/null",
                    "-w", "%{http_version} %{http_code}", https + "/health"), Files.createTempDirectory("curl"),
                    Map.of(), 30);
            assertThat(r.stdout()).isEqualTo(version.equals("--http2") ? "2 200" : "1.1 200");
        }
    }
}
