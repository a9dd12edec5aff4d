package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole {@code millrace bench} run against a scripted Kinesis endpoint (CBOR or JSON, as asked, over HTTP/1.1)
 * that, like a server enforcing the per-shard limits, answers every other PutRecords entry with
 * ProvisionedThroughputExceededException: the report counts the throttles, whichever client sent the PutRecords, and
 * says why the run was throttled and what to do.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class ThrottledRunTest {
    private static final String STREAM = "millrace-bench-0";

    private EventLoopGroup group;
    private Channel channel;
    private String endpoint;
    private final AtomicBoolean created = new AtomicBoolean();
    private final AtomicLong throttledEntries = new AtomicLong();
    /** PutRecords calls with an index below this are shed every other one (503 ServiceUnavailableException). */
    private volatile long shedBelowCall;
    private final AtomicLong putCalls = new AtomicLong();
    /** The Content-Type of every PutRecords request, so a test knows which wire format it measured. */
    private final Set<String> putContentTypes = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws InterruptedException {
        group = new NioEventLoopGroup(1);
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 << 20),
                                new ThrottlingKinesis());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        endpoint = "http://127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        // A --protocol json run sets it for the whole JVM; the next test class's SDK clients must speak CBOR again.
        System.clearProperty("aws.cborEnabled");
    }

    private String bench(String... extra) {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = LoadgenMain.commandLine().setOut(new PrintWriter(out));
        String[] args = {"bench", "--endpoint", endpoint, "--shards", "1", "--records", "2000", "--batch-size", "500",
            "--concurrency", "2", "--warmup-s", "0", "--readers", "none"};
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        assertThat(cl.execute(all)).isZero();
        return out.toString();
    }

    @ParameterizedTest(name = "--put-client {0} --protocol {1}")
    @CsvSource({"sdk, cbor", "lean, cbor", "sdk, json", "lean, json"})
    void reportSaysWhyTheRunWasThrottledAndWhatToDo(String putClient, String protocol) {
        String report = bench("--put-client", putClient, "--protocol", protocol);

        assertThat(putContentTypes).containsExactly("application/x-amz-" + protocol + "-1.1");
        assertThat(throttledEntries).hasValue(1000);
        assertThat(report).contains("put        1000 records acknowledged in 4 requests")
                .contains("1000 records failed")
                .contains("throttles  {PutRecords:ProvisionedThroughputExceededException=1000}")
                .contains("throttled  ProvisionedThroughputExceededException 1,000 times (PutRecords 1,000 "
                        + "records): the endpoint enforces Kinesis's per-shard limits")
                .contains("so 1 shard(s) take at most 1,000 records/s: this run measured those limits")
                .contains("what to do to measure the server, start it with --throughput-limits off")
                .contains("or put to more shards (--shards N");
    }

    @Test
    void jsonReportCarriesTheSameExplanation() {
        String json = bench("--json");

        assertThat(json).contains("\"throttles\": {\n    \"PutRecords:ProvisionedThroughputExceededException\": 1000\n")
                .contains("\"throttling\": {\n    \"why\": \"ProvisionedThroughputExceededException 1,000 times")
                .contains("\"whatToDo\": \"to measure the server, start it with --throughput-limits off");
    }

    /** An open-loop run of 40 PutRecords in 2 s, then 30 in 3 s at the lower rate, on the lean client. */
    private String overloadRun() {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = LoadgenMain.commandLine().setOut(new PrintWriter(out));
        assertThat(cl.execute("bench", "--endpoint", endpoint, "--shards", "1", "--batch-size", "500",
                "--concurrency", "4", "--warmup-s", "0", "--readers", "none", "--put-client", "lean", "--rate", "20",
                "--duration-s", "2", "--recovery-rate", "10", "--recovery-s", "3")).isZero();
        return out.toString();
    }

    @Test
    void shedCallsAreReportedApartFromServedOnesAndRecoveryIsTimedFromTheDrop() {
        shedBelowCall = 40; // the overload part only
        String report = overloadRun();

        assertThat(report).contains("share shed 0.5")
                .containsPattern("  served   p50 [0-9.]+ ms, .* \\(20 samples\\)")
                .containsPattern("  shed     p50 [0-9.]+ ms, .* \\(20 samples\\)")
                .containsPattern("recovery   at 10.0 requests/s for 3 s: 30 served \\([0-9]+ slower than 500 ms\\), "
                        + "0 shed, 0 failed")
                .containsPattern("recovered [0-9.]+ ms after the load dropped");
    }

    @Test
    void anEndpointStillSheddingWhenTheRunEndsHasNotRecovered() {
        shedBelowCall = Long.MAX_VALUE;
        String report = overloadRun();

        assertThat(report).contains("share shed 0.5").contains("15 shed").contains("NOT recovered by the end");
    }

    @Test
    void awsIsToldToUseMoreShardsOnly() {
        assertThat(Throttling.explain(java.util.Map.of("PutRecords:" + Throttling.PROVISIONED, 5L), 2, true))
                .containsEntry("whatToDo", "put to more shards (--shards N: one per 1,000 records/s or 1 MiB/s you "
                        + "want to put), or send less (--rate)");
        assertThat(Throttling.explain(java.util.Map.of(), 2, false)).isNull();
        assertThat(Throttling.explain(java.util.Map.of("GetRecords:" + Throttling.PROVISIONED, 3L,
                "DescribeStream:LimitExceededException", 2L), 4, false).get("why"))
                .isEqualTo("ProvisionedThroughputExceededException 3 times (GetRecords 3 calls): the endpoint "
                        + "enforces Kinesis's per-shard limits (writes 1,000 records/s and 1 MiB/s, reads 5 calls/s "
                        + "and 2 MiB/s, per shard), so 4 shard(s) take at most 4,000 records/s: this run measured "
                        + "those limits, not how fast the endpoint is; throttled DescribeStream 2 "
                        + "(LimitExceededException): the endpoint limits how often these calls may be made");
    }

    /**
     * CreateStream, DescribeStream, DeleteStream, and PutRecords that acknowledges every other entry; each answer in
     * its request's format.
     */
    private final class ThrottlingKinesis extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            String target = String.valueOf(request.headers().get("X-Amz-Target"));
            String operation = target.substring(target.indexOf('.') + 1);
            String contentType = String.valueOf(request.headers().get(HttpHeaderNames.CONTENT_TYPE));
            Format format = contentType.contains("json") ? Format.JSON : Format.CBOR;
            byte[] body = ByteBufUtil.getBytes(request.content());
            FullHttpResponse response = switch (operation) {
                case "CreateStream", "DeleteStream" -> {
                    created.set(operation.equals("CreateStream"));
                    yield answer(format, HttpResponseStatus.OK, g -> {
                        g.writeStartObject();
                        g.writeEndObject();
                    });
                }
                case "DescribeStream" -> created.get() ? answer(format, HttpResponseStatus.OK, this::description)
                        : error(format, "ResourceNotFoundException", "Stream " + STREAM + " not found.");
                case "PutRecords" -> {
                    putContentTypes.add(contentType);
                    long call = putCalls.getAndIncrement();
                    int entries = entries(format, body);
                    yield call < shedBelowCall && call % 2 == 1
                            ? error(format, HttpResponseStatus.SERVICE_UNAVAILABLE, "ServiceUnavailableException",
                                    "busy")
                            : answer(format, HttpResponseStatus.OK, g -> putRecords(g, entries));
                }
                default -> error(format, "UnknownOperationException", operation);
            };
            ctx.writeAndFlush(response);
        }

        private void description(JsonGenerator g) throws IOException {
            g.writeStartObject();
            g.writeFieldName("StreamDescription");
            g.writeStartObject();
            g.writeStringField("StreamName", STREAM);
            g.writeStringField("StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/" + STREAM);
            g.writeStringField("StreamStatus", "ACTIVE");
            g.writeBooleanField("HasMoreShards", false);
            g.writeNumberField("RetentionPeriodHours", 24);
            g.writeFieldName("Shards");
            g.writeStartArray();
            g.writeStartObject();
            g.writeStringField("ShardId", "shardId-000000000000");
            g.writeFieldName("HashKeyRange");
            g.writeStartObject();
            g.writeStringField("StartingHashKey", "0");
            g.writeStringField("EndingHashKey", "340282366920938463463374607431768211455");
            g.writeEndObject();
            g.writeFieldName("SequenceNumberRange");
            g.writeStartObject();
            g.writeStringField("StartingSequenceNumber", "1");
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }

        /** As AWS writes it: FailedRecordCount first, the failed entries' ErrorMessage after their ErrorCode. */
        private void putRecords(JsonGenerator g, int entries) throws IOException {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", entries / 2);
            g.writeFieldName("Records");
            g.writeStartArray();
            for (int i = 0; i < entries; i++) {
                g.writeStartObject();
                if (i % 2 == 0) {
                    g.writeStringField("SequenceNumber", Integer.toString(i + 1));
                    g.writeStringField("ShardId", "shardId-000000000000");
                } else {
                    throttledEntries.incrementAndGet();
                    g.writeStringField("ErrorCode", Throttling.PROVISIONED);
                    g.writeStringField("ErrorMessage", "Rate exceeded for shard shardId-000000000000 in stream "
                            + STREAM + " under account 000000000000.");
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    /** The wire formats, each with its factory and Content-Type. */
    private enum Format {
        CBOR(new CBORFactory(), "application/x-amz-cbor-1.1"),
        JSON(new JsonFactory(), "application/x-amz-json-1.1");

        final JsonFactory factory;
        final String contentType;

        Format(JsonFactory factory, String contentType) {
            this.factory = factory;
            this.contentType = contentType;
        }
    }

    /** The records of a PutRecords request: one PartitionKey each. */
    private static int entries(Format format, byte[] body) throws IOException {
        int n = 0;
        try (JsonParser p = format.factory.createParser(body)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("PartitionKey")) {
                    n++;
                }
            }
        }
        return n;
    }

    private static FullHttpResponse error(Format format, String type, String message) {
        return error(format, HttpResponseStatus.BAD_REQUEST, type, message);
    }

    private static FullHttpResponse error(Format format, HttpResponseStatus status, String type, String message) {
        FullHttpResponse response = answer(format, status, g -> {
            g.writeStartObject();
            g.writeStringField("__type", type);
            g.writeStringField("message", message);
            g.writeEndObject();
        });
        response.headers().set("X-Amzn-ErrorType", type);
        return response;
    }

    private static FullHttpResponse answer(Format format, HttpResponseStatus status, Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = format.factory.createGenerator(bytes)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes.toByteArray()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, format.contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.size())
                .set("x-amzn-RequestId", "test");
        return response;
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }
}
