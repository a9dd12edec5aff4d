package dev.millrace.lambda.failure;

import dev.millrace.lambda.invoke.BatchContext;
import dev.millrace.lambda.invoke.EventRecord;
import dev.millrace.lambda.invoke.InvokeOutcome;
import dev.millrace.lambda.invoke.KinesisEventWriter;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InvocationRecordsTest {
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-2:123456789012:stream/mystream";
    private static final String FUNCTION_ARN = "arn:aws:lambda:us-east-2:123456789012:function:myfunction";
    private static final String MAPPING = "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE";
    private static final String SEQ_1 = "49601189658422359378836298521827638475320189012309704706";
    private static final String SEQ_2 = "49601189658422359378836298522902373528957594348623495170";
    private static final UUID REQUEST_ID = UUID.fromString("c9b8fa9f-5a7f-4ed0-af9c-0c604cde93a5");
    private static final UUID KEY_ID = UUID.fromString("0f2e6a1c-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
    /** 2019-11-14T00:38:06.021Z */
    private static final long NOW_MS = 1_573_691_886_021L;
    private static final List<EventRecord> BATCH = List.of(
            new EventRecord("k1", SEQ_1, "a".getBytes(StandardCharsets.UTF_8), 1_573_691_884_835L),
            new EventRecord("k2", SEQ_2, "b".getBytes(StandardCharsets.UTF_8), 1_573_691_885_580L));

    @Test
    void retryAttemptsExhaustedMessageShouldBeAwsLayout() {
        InvocationRecord record = records().record(FUNCTION_ARN, InvocationRecord.Condition.RETRY_ATTEMPTS_EXHAUSTED,
                3, new InvocationRecord.ResponseContext(200, "$LATEST", "Unhandled"), batchInfo());

        assertThat(json(InvocationRecords.messageJson(record))).isEqualTo("{"
                + "\"requestContext\":{\"requestId\":\"" + REQUEST_ID + "\",\"functionArn\":\"" + FUNCTION_ARN + "\","
                + "\"condition\":\"RetryAttemptsExhausted\",\"approximateInvokeCount\":3},"
                + "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\","
                + "\"functionError\":\"Unhandled\"},"
                + "\"version\":\"1.0\",\"timestamp\":\"2019-11-14T00:38:06.021Z\","
                + "\"KinesisBatchInfo\":{\"shardId\":\"shardId-000000000001\","
                + "\"startSequenceNumber\":\"" + SEQ_1 + "\","
                + "\"endSequenceNumber\":\"" + SEQ_2 + "\","
                + "\"approximateArrivalOfFirstRecord\":\"2019-11-14T00:38:04.835Z\","
                + "\"approximateArrivalOfLastRecord\":\"2019-11-14T00:38:05.580Z\","
                + "\"batchSize\":2,\"streamArn\":\"" + STREAM_ARN + "\"}}");
    }

    @Test
    void failureFromBatchItemFailuresShouldHaveNullFunctionError() {
        InvokeOutcome success = new InvokeOutcome(InvokeOutcome.Kind.SUCCESS, 200, new byte[0], null, null, "$LATEST",
                -1, "HTTP 200");
        InvocationRecord record = records().record(FUNCTION_ARN, InvocationRecord.Condition.RETRY_ATTEMPTS_EXHAUSTED,
                4, InvocationRecord.ResponseContext.ofFailedResponse(success), batchInfo());

        assertThat(json(InvocationRecords.messageJson(record))).contains(
                "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\",\"functionError\":null}");
    }

    @Test
    void timedOutFunctionErrorShouldRecordStatus200() {
        InvokeOutcome timedOut = new InvokeOutcome(InvokeOutcome.Kind.FUNCTION_ERROR, 0, new byte[0], "Unhandled",
                "Sandbox.Timedout", "$LATEST", -1, "Task timed out after 3.00 seconds");

        assertThat(InvocationRecord.ResponseContext.ofFunctionError(timedOut))
                .isEqualTo(new InvocationRecord.ResponseContext(200, "$LATEST", "Unhandled"));
    }

    @Test
    void recordAgeExceededShouldHaveNoResponseContext() {
        InvocationRecord record = records().record(FUNCTION_ARN, InvocationRecord.Condition.RECORD_AGE_EXCEEDED, 1,
                null, batchInfo());

        assertThat(json(InvocationRecords.messageJson(record))).isEqualTo("{"
                + "\"requestContext\":{\"requestId\":\"" + REQUEST_ID + "\",\"functionArn\":\"" + FUNCTION_ARN + "\","
                + "\"condition\":\"RecordAgeExceeded\",\"approximateInvokeCount\":1},"
                + "\"version\":\"1.0\",\"timestamp\":\"2019-11-14T00:38:06.021Z\","
                + "\"KinesisBatchInfo\":{\"shardId\":\"shardId-000000000001\","
                + "\"startSequenceNumber\":\"" + SEQ_1 + "\","
                + "\"endSequenceNumber\":\"" + SEQ_2 + "\","
                + "\"approximateArrivalOfFirstRecord\":\"2019-11-14T00:38:04.835Z\","
                + "\"approximateArrivalOfLastRecord\":\"2019-11-14T00:38:05.580Z\","
                + "\"batchSize\":2,\"streamArn\":\"" + STREAM_ARN + "\"}}");
        assertThatThrownBy(() -> records().record(FUNCTION_ARN, InvocationRecord.Condition.RECORD_AGE_EXCEEDED, 1,
                new InvocationRecord.ResponseContext(200, "$LATEST", null), batchInfo()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void s3ObjectShouldCarryTheEventAsSentWithSortedKeys() {
        byte[] event = new KinesisEventWriter(new BatchContext("shardId-000000000001", STREAM_ARN, "us-east-2",
                "arn:aws:iam::123456789012:role/myfunction")).write(BATCH, null);
        InvocationRecord record = records().record(FUNCTION_ARN, InvocationRecord.Condition.RETRY_ATTEMPTS_EXHAUSTED,
                1, new InvocationRecord.ResponseContext(200, "$LATEST", "Unhandled"), batchInfo());

        assertThat(json(InvocationRecords.s3ObjectJson(record, event))).isEqualTo("{"
                + "\"KinesisBatchInfo\":{\"approximateArrivalOfFirstRecord\":\"2019-11-14T00:38:04.835Z\","
                + "\"approximateArrivalOfLastRecord\":\"2019-11-14T00:38:05.580Z\",\"batchSize\":2,"
                + "\"endSequenceNumber\":\"" + SEQ_2 + "\",\"shardId\":\"shardId-000000000001\","
                + "\"startSequenceNumber\":\"" + SEQ_1 + "\",\"streamArn\":\"" + STREAM_ARN + "\"},"
                + "\"payload\":" + json(event) + ","
                + "\"requestContext\":{\"approximateInvokeCount\":1,\"condition\":\"RetryAttemptsExhausted\","
                + "\"functionArn\":\"" + FUNCTION_ARN + "\",\"requestId\":\"" + REQUEST_ID + "\"},"
                + "\"responseContext\":{\"executedVersion\":\"$LATEST\",\"functionError\":\"Unhandled\","
                + "\"statusCode\":200},"
                + "\"timestamp\":\"2019-11-14T00:38:06.021Z\",\"version\":\"1.0\"}");
    }

    @Test
    void s3KeyAndStreamPartitionKeyShouldFollowTheLayout() {
        InvocationRecords records = records();
        InvocationRecord record = records.record(FUNCTION_ARN, InvocationRecord.Condition.RECORD_AGE_EXCEEDED, 1,
                null, batchInfo());

        assertThat(records.s3Key(MAPPING, record)).isEqualTo("aws/lambda/" + MAPPING
                + "/shardId-000000000001/2019/11/14/2019-11-14T00.38.06-" + KEY_ID);
        assertThat(InvocationRecords.streamPartitionKey(MAPPING, record))
                .isEqualTo(MAPPING + ":shardId-000000000001");
    }

    private static InvocationRecords records() {
        ArrayDeque<UUID> uuids = new ArrayDeque<>(List.of(REQUEST_ID, KEY_ID));
        return new InvocationRecords(new ManualClock(NOW_MS), uuids::removeFirst);
    }

    private static KinesisBatchInfo batchInfo() {
        return KinesisBatchInfo.of("shardId-000000000001", STREAM_ARN, BATCH);
    }

    private static String json(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
