package dev.millrace.loadgen;

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
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LeanKinesis} against a scripted Netty HTTP server on loopback: what it sends (signed CBOR GetRecords and
 * PutRecord requests), that it keeps its connection, and what it does when the server ends a connection, with or
 * without an answer, or answers with an error. The same client against Millrace itself is exercised by the
 * integration tests' {@code BenchCommandTest}.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class LeanKinesisTest {
    private static final long WAIT_S = 10;
    private static final CBORFactory CBOR = new CBORFactory();

    private EventLoopGroup serverGroup;
    private Channel serverChannel;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<FullHttpRequest> requests = new CopyOnWriteArrayList<>();
    /** What the server does with each request, in order: an answer, or {@code null} to close without one. */
    private final BlockingQueue<Function<FullHttpRequest, FullHttpResponse>> script = new LinkedBlockingQueue<>();
    private LeanKinesis client;
    /** A script step: reset the connection (RST) instead of answering. */
    private static final Function<FullHttpRequest, FullHttpResponse> RESET = request -> null;

    @BeforeEach
    void start() throws InterruptedException {
        serverGroup = new NioEventLoopGroup(1);
        serverChannel = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new ScriptedServer());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        CommandLine.ParseResult parsed = LoadgenMain.commandLine()
                .parseArgs("bench", "--endpoint", "http://127.0.0.1:" + port, "--region", "eu-west-1");
        BenchSettings settings = parsed.subcommand().commandSpec().commandLine().<BenchCommand>getCommand().settings();
        client = new LeanKinesis(settings,
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        client.close();
        serverChannel.close().sync();
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        requests.forEach(FullHttpRequest::release);
    }

    @Test
    void sendsASignedCborGetRecordsAndKeepsItsConnection() throws Exception {
        script.add(request -> answer(page(new byte[] {7, 7}, "11", "next-1")));
        script.add(request -> answer(page(new byte[] {8}, "12", "next-2")));
        GetRecordsClient connection = GetRecordsClient.lean(client.connection());

        GetRecordsClient.Page first = connection.getRecords("iterator-0", 500).get(WAIT_S, TimeUnit.SECONDS);
        GetRecordsClient.Page second = connection.getRecords(first.nextShardIterator(), 500)
                .get(WAIT_S, TimeUnit.SECONDS);

        assertThat(first.data()).containsExactly(new byte[] {7, 7});
        assertThat(second.data()).containsExactly(new byte[] {8});
        assertThat(second.lastSequenceNumber()).isEqualTo("12");
        assertThat(connections).as("one keep-alive connection for both calls").hasValue(1);
        FullHttpRequest sent = requests.get(1);
        assertThat(sent.headers().get("X-Amz-Target")).isEqualTo("Kinesis_20131202.GetRecords");
        assertThat(sent.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/x-amz-cbor-1.1");
        assertThat(sent.headers().get(HttpHeaderNames.AUTHORIZATION))
                .startsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
                .contains("/eu-west-1/kinesis/aws4_request", "SignedHeaders=", "Signature=");
        assertThat(sent.headers().get("X-Amz-Date")).isNotBlank();
        assertThat(sent.headers().get(HttpHeaderNames.HOST)).startsWith("127.0.0.1");
        assertThat(body(sent)).containsEntry("ShardIterator", "next-1").containsEntry("Limit", "500");
    }

    @Test
    void aConnectionTheServerClosesAfterItsAnswerIsReplacedForTheNextCall() throws Exception {
        script.add(request -> {
            FullHttpResponse answer = answer(page(new byte[] {1}, "1", "next-1"));
            answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return answer;
        });
        script.add(request -> answer(page(new byte[] {2}, "2", "next-2")));
        GetRecordsClient connection = GetRecordsClient.lean(client.connection());

        connection.getRecords("iterator-0", 10).get(WAIT_S, TimeUnit.SECONDS);
        GetRecordsClient.Page second = connection.getRecords("next-1", 10).get(WAIT_S, TimeUnit.SECONDS);

        assertThat(second.data()).containsExactly(new byte[] {2});
        assertThat(connections).hasValue(2);
    }

    @Test
    void aConnectionClosedWithoutAnAnswerFailsTheCallAndTheNextCallReconnects() throws Exception {
        script.add(request -> null);
        script.add(request -> answer(page(new byte[] {3}, "3", "next-3")));
        GetRecordsClient connection = GetRecordsClient.lean(client.connection());

        CompletableFuture<GetRecordsClient.Page> failed = connection.getRecords("iterator-0", 10);

        assertThatThrownBy(() -> failed.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SdkClientException.class).hasMessageContaining("closed the connection");
        assertThat(connection.getRecords("iterator-0", 10).get(WAIT_S, TimeUnit.SECONDS).data())
                .containsExactly(new byte[] {3});
        assertThat(connections).hasValue(2);
    }

    @Test
    void aCallMadeAsTheLastOneFailsOnAResetConnectionGetsItsOwnAnswer() throws Exception {
        GetRecordsClient connection = GetRecordsClient.lean(client.connection());
        for (int round = 0; round < 10; round++) {
            byte[] data = {(byte) round};
            script.add(RESET);
            script.add(request -> answer(page(data, "1", "next")));
            // As a reader or producer does: the next call leaves from the failed call's callback, on the event loop,
            // while the reset connection's own close events are still to come.
            CompletableFuture<GetRecordsClient.Page> next = connection.getRecords("it", 10)
                    .handle((page, failure) -> failure)
                    .thenCompose(failure -> {
                        assertThat(failure).as("the reset call fails").isNotNull();
                        return connection.getRecords("it", 10);
                    });

            assertThat(next.get(WAIT_S, TimeUnit.SECONDS).data()).as("round %d", round).containsExactly(data);
        }
        assertThat(connections).as("a new connection after each reset").hasValue(11);
    }

    @Test
    void anErrorAnswerFailsTheCallWithItsAwsErrorCode() throws Exception {
        script.add(request -> {
            FullHttpResponse answer = answer(cbor(g -> {
                g.writeStartObject();
                g.writeStringField("__type", "ExpiredIteratorException");
                g.writeStringField("message", "Iterator expired");
                g.writeEndObject();
            }));
            answer.setStatus(HttpResponseStatus.BAD_REQUEST);
            return answer;
        });
        script.add(request -> answer(page(new byte[] {4}, "4", "next-4")));
        GetRecordsClient connection = GetRecordsClient.lean(client.connection());

        CompletableFuture<GetRecordsClient.Page> failed = connection.getRecords("old", 10);

        assertThatThrownBy(() -> failed.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(KinesisException.class, e ->
                        assertThat(ErrorCounts.errorType(e)).isEqualTo("ExpiredIteratorException"));
        assertThat(connection.getRecords("new", 10).get(WAIT_S, TimeUnit.SECONDS).data())
                .containsExactly(new byte[] {4});
        assertThat(connections).as("an error answer keeps the connection").hasValue(1);
    }

    @Test
    void putRecordSendsTheStreamKeyAndDataAndReturnsTheSequenceNumber() throws Exception {
        script.add(request -> answer(cbor(g -> {
            g.writeStartObject();
            g.writeStringField("ShardId", "shardId-000000000000");
            g.writeStringField("SequenceNumber", "4959");
            g.writeEndObject();
        })));
        byte[] data = {0, 1, 2, (byte) 0xFE};

        String sequenceNumber = client.connection().call("PutRecord", g -> {
            g.writeStringField("StreamName", "s1");
            g.writeStringField("PartitionKey", "pk-1");
            g.writeBinaryField("Data", data);
        }, PutRecordAnswer::sequenceNumber).get(WAIT_S, TimeUnit.SECONDS);

        assertThat(sequenceNumber).isEqualTo("4959");
        FullHttpRequest sent = requests.get(0);
        assertThat(sent.headers().get("X-Amz-Target")).isEqualTo("Kinesis_20131202.PutRecord");
        try (JsonParser p = CBOR.createParser(ByteBufUtil.getBytes(sent.content()))) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            assertThat(p.nextFieldName()).isEqualTo("StreamName");
            assertThat(p.nextTextValue()).isEqualTo("s1");
            assertThat(p.nextFieldName()).isEqualTo("PartitionKey");
            assertThat(p.nextTextValue()).isEqualTo("pk-1");
            assertThat(p.nextFieldName()).isEqualTo("Data");
            assertThat(p.nextToken()).isEqualTo(JsonToken.VALUE_EMBEDDED_OBJECT);
            assertThat(p.getBinaryValue()).isEqualTo(data);
        }
    }

    private final class ScriptedServer extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws InterruptedException {
            requests.add(request.retain());
            Function<FullHttpRequest, FullHttpResponse> step = script.poll(WAIT_S, TimeUnit.SECONDS);
            if (step == RESET) {
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                ctx.close();
                return;
            }
            FullHttpResponse answer = step == null ? null : step.apply(request);
            if (answer == null) {
                ctx.close();
            } else {
                ctx.writeAndFlush(answer);
            }
        }
    }

    private static FullHttpResponse answer(byte[] cborBody) {
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(cborBody));
        answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-amz-cbor-1.1");
        answer.headers().set(HttpHeaderNames.CONTENT_LENGTH, cborBody.length);
        return answer;
    }

    private static byte[] page(byte[] data, String sequenceNumber, String next) {
        return cbor(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("Records");
            g.writeStartObject();
            g.writeBinaryField("Data", data);
            g.writeStringField("SequenceNumber", sequenceNumber);
            g.writeEndObject();
            g.writeEndArray();
            g.writeStringField("NextShardIterator", next);
            g.writeEndObject();
        });
    }

    /** The request body's top-level fields, each as text. */
    private static Map<String, String> body(FullHttpRequest request) throws IOException {
        Map<String, String> fields = new java.util.HashMap<>();
        try (JsonParser p = CBOR.createParser(ByteBufUtil.getBytes(request.content()))) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                fields.put(name, p.getText());
            }
        }
        return fields;
    }

    private static byte[] cbor(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = CBOR.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }
}
