package dev.millrace.server;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.Caller;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.server.fanout.EventSink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13: a throwable that is not an exception (a StackOverflowError from deep input, an OutOfMemoryError the JVM
 * survived, an AssertionError) used to escape {@link KinesisApi}, which caught only RuntimeException: the request got
 * no answer and the worker thread died. Every one is now AWS's retryable 500 InternalFailure.
 */
class ThrowablesAnsweredTest {
    /** A sink no message may reach: the subscription must fail before it starts. */
    private static final class NoSink implements EventSink {
        @Override
        public void start(String requestId) {
            throw new AssertionError("started");
        }

        @Override
        public void send(byte[] message) {
            throw new AssertionError("sent");
        }

        @Override
        public boolean writable() {
            return true;
        }

        @Override
        public void whenWritable(Runnable callback) {
        }

        @Override
        public void end() {
        }

        @Override
        public void onClose(Runnable callback) {
        }
    }

    static Stream<Throwable> throwables() {
        return Stream.of(new StackOverflowError(), new OutOfMemoryError("Java heap space"),
                new AssertionError("invariant"), new IllegalStateException("bug"), new ExceptionInInitializerError());
    }

    private static KinesisApi failingWith(Throwable t) {
        Function<Account, OperationRouter> routers = region -> {
            throw sneaky(t);
        };
        return new KinesisApi(ApiModel.kinesis(), routers, Account.DEFAULT);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    @ParameterizedTest
    @MethodSource("throwables")
    void anyThrowableInAHandlerIsAnInternalFailureInJsonAndCbor(Throwable t) {
        KinesisApi api = failingWith(t);
        KinesisApi.Result json = api.handle("Kinesis_20131202.ListStreams", WireFormat.JSON,
                "{}".getBytes(StandardCharsets.UTF_8), "req-1");
        assertThat(json.httpStatus()).isEqualTo(500);
        assertThat(json.errorType()).isEqualTo("InternalFailure");
        assertThat(new String(json.body(), StandardCharsets.UTF_8)).contains("req-1");
        KinesisApi.Result cbor = api.handle("Kinesis_20131202.ListStreams", WireFormat.CBOR, new byte[]{(byte) 0xa0},
                "req-2");
        assertThat(cbor.httpStatus()).isEqualTo(500);
        assertThat(cbor.errorType()).isEqualTo("InternalFailure");
    }

    @ParameterizedTest
    @MethodSource("throwables")
    void anyThrowableStartingASubscriptionIsAnInternalFailure(Throwable t) {
        KinesisApi.Result r = failingWith(t).subscribe("Kinesis_20131202.SubscribeToShard",
                ("{\"ConsumerARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1\","
                        + "\"ShardId\":\"shardId-000000000000\",\"StartingPosition\":{\"Type\":\"LATEST\"}}")
                        .getBytes(StandardCharsets.UTF_8), new NoSink(), "req-3", Caller.UNCHECKED, Account.DEFAULT);
        assertThat(r).isNotNull();
        assertThat(r.httpStatus()).isEqualTo(500);
        assertThat(r.errorType()).isEqualTo("InternalFailure");
    }
}
