package dev.millrace.lambda.invoke;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static dev.millrace.lambda.invoke.BatchResponse.Verdict.COMPLETE;
import static dev.millrace.lambda.invoke.BatchResponse.Verdict.FAILED;
import static dev.millrace.lambda.invoke.BatchResponse.Verdict.PARTIAL;
import static org.assertj.core.api.Assertions.assertThat;

class BatchResponseTest {
    // Same length, so that string order and number order agree; S10 is shorter and numerically smallest.
    private static final String S1 = "49590338271490256608559692538361571095921575989136588898";
    private static final String S2 = "49590338271490256608559692538361571095921575989136588899";
    private static final String S3 = "49590338271490256608559692538361571095921575989136588900";
    private static final String S10 = "9" + "0".repeat(40);
    private static final List<EventRecord> BATCH = List.of(record(S10), record(S1), record(S2), record(S3));

    static Stream<Arguments> itemFailureCases() {
        return Stream.of(
                // AWS-validated complete successes.
                Arguments.of("", COMPLETE, -1),
                Arguments.of("\"\"", COMPLETE, -1),
                Arguments.of("[]", COMPLETE, -1),
                Arguments.of("null", COMPLETE, -1),
                Arguments.of("{}", COMPLETE, -1),
                Arguments.of("{\"batchItemFailures\":[]}", COMPLETE, -1),
                Arguments.of("{\"batchItemFailures\":null}", COMPLETE, -1),
                Arguments.of(" {\"other\":[1,{\"a\":2}]} ", COMPLETE, -1),
                // AWS-validated whole-batch failures.
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":123}]}", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":null}]}", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":[{\"foo\":123}]}", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":[{\"foo\":null}]}", FAILED, -1),
                // Identifier not in the batch, even next to good ones.
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S2 + "\"},{\"itemIdentifier\":\"1\"}]}",
                        FAILED, -1),
                // Millrace's reading where AWS is unverified.
                Arguments.of("not json", FAILED, -1),
                Arguments.of("\"ok\"", FAILED, -1),
                Arguments.of("[1]", FAILED, -1),
                Arguments.of("42", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":{\"itemIdentifier\":\"" + S1 + "\"}}", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":[\"" + S1 + "\"]}", FAILED, -1),
                Arguments.of("{\"batchItemFailures\":[]} {}", FAILED, -1),
                // Partial failures: from the numerically lowest identifier.
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S2 + "\"}]}", PARTIAL, 2),
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S3 + "\"},{\"itemIdentifier\":\""
                        + S1 + "\"}]}", PARTIAL, 1),
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S3 + "\"},{\"itemIdentifier\":\""
                        + S10 + "\"}]}", PARTIAL, 0),
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S3 + "\",\"extra\":[1]}]}", PARTIAL, 3),
                // The last batchItemFailures key wins, as with any JSON reader that keeps one value per key.
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S1 + "\"}],\"batchItemFailures\":[]}",
                        COMPLETE, -1),
                // Wholly: an earlier key's failure goes with it (as Jackson, the reader of Lambda's Java runtimes,
                // keeps the last value), and a later bad one fails the batch.
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}],\"batchItemFailures\":[]}",
                        COMPLETE, -1),
                Arguments.of("{\"batchItemFailures\":5,\"batchItemFailures\":[{\"itemIdentifier\":\"" + S2 + "\"}]}",
                        PARTIAL, 2),
                Arguments.of("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + S2 + "\"}],\"batchItemFailures\":"
                        + "[{\"itemIdentifier\":\"x\"}]}", FAILED, -1));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @MethodSource("itemFailureCases")
    void shouldReadBatchItemFailures(String body, BatchResponse.Verdict verdict, int failedFromIndex) {
        BatchResponse response = BatchResponse.read(bytes(body), BATCH, true, false);

        assertThat(response.verdict()).isEqualTo(verdict);
        assertThat(response.failedFromIndex()).isEqualTo(failedFromIndex);
        assertThat(response.failedSequenceNumber())
                .isEqualTo(failedFromIndex < 0 ? null : BATCH.get(failedFromIndex).sequenceNumber());
        assertThat(response.reason() != null).isEqualTo(verdict == FAILED);
        assertThat(response.stateJson()).isNull();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("itemFailureCases")
    void withoutReportBatchItemFailuresEveryBodyShouldBeASuccess(String body) {
        assertThat(BatchResponse.read(bytes(body), BATCH, false, false).verdict()).isEqualTo(COMPLETE);
    }

    static Stream<Arguments> windowCases() {
        return Stream.of(
                Arguments.of("{\"state\":{\"1\":282, \"2\" : \"715\"}}", COMPLETE, "{\"1\":282,\"2\":\"715\"}"),
                Arguments.of("{\"state\":{},\"batchItemFailures\":[]}", COMPLETE, "{}"),
                Arguments.of("{\"state\":{\"a\":1},\"batchItemFailures\":[{\"itemIdentifier\":\"" + S3 + "\"}]}",
                        PARTIAL, "{\"a\":1}"),
                Arguments.of("{\"batchItemFailures\":[]}", FAILED, null),
                Arguments.of("{\"state\":null}", FAILED, null),
                Arguments.of("{\"state\":[1,2]}", FAILED, null),
                Arguments.of("{\"state\":\"x\"}", FAILED, null),
                Arguments.of("", FAILED, null),
                Arguments.of("null", FAILED, null),
                Arguments.of("{\"state\":{\"a\":1},\"batchItemFailures\":[{\"itemIdentifier\":\"x\"}]}", FAILED, null));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @MethodSource("windowCases")
    void windowedResponsesShouldCarryState(String body, BatchResponse.Verdict verdict, String state) {
        BatchResponse response = BatchResponse.read(bytes(body), BATCH, true, true);

        assertThat(response.verdict()).isEqualTo(verdict);
        assertThat(response.stateJson()).isEqualTo(state);
        assertThat(response.stateTooLarge()).isFalse();
    }

    @Test
    void stateOverTheLimitShouldEndTheWindowNotFailTheBatch() {
        String big = "x".repeat(BatchResponse.MAX_STATE_BYTES);
        BatchResponse response = BatchResponse.read(bytes("{\"state\":{\"k\":\"" + big + "\"}}"), BATCH, false, true);
        BatchResponse atLimit = BatchResponse.read(
                bytes("{\"state\":{\"k\":\"" + big.substring(8) + "\"}}"), BATCH, false, true);

        assertThat(response.verdict()).isEqualTo(COMPLETE);
        assertThat(response.stateTooLarge()).isTrue();
        assertThat(atLimit.stateJson()).hasSize(BatchResponse.MAX_STATE_BYTES);
        assertThat(atLimit.stateTooLarge()).isFalse();
    }

    private static EventRecord record(String sequenceNumber) {
        return new EventRecord("pk", sequenceNumber, new byte[0], 0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
