package dev.millrace.lambda.invoke;

import com.amazonaws.services.lambda.runtime.events.KinesisEvent;
import com.amazonaws.services.lambda.runtime.events.KinesisTimeWindowEvent;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class KinesisEventWriterTest {
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream";
    private static final String SEQ_1 = "49590338271490256608559692538361571095921575989136588898";
    private static final String SEQ_2 = "49590338271490256608559692538361571095921575989136588899";
    private static final BatchContext CONTEXT = new BatchContext("shardId-000000000000", STREAM_ARN, "us-east-2",
            "arn:aws:iam::123456789012:role/lambda-role");
    private static final KinesisEventWriter WRITER = new KinesisEventWriter(CONTEXT);

    @Test
    void shouldWriteAwsEventExactly() {
        byte[] event = WRITER.write(List.of(new EventRecord("test_0", SEQ_1, bytes("hello"), 1545084650987L)), null);

        assertThat(new String(event, StandardCharsets.UTF_8)).isEqualTo("{\"Records\":["
                + "{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":\"test_0\","
                + "\"sequenceNumber\":\"" + SEQ_1 + "\",\"data\":\"aGVsbG8=\","
                + "\"approximateArrivalTimestamp\":1545084650.987},"
                + "\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\","
                + "\"eventID\":\"shardId-000000000000:" + SEQ_1 + "\","
                + "\"eventName\":\"aws:kinesis:record\","
                + "\"invokeIdentityArn\":\"arn:aws:iam::123456789012:role/lambda-role\","
                + "\"awsRegion\":\"us-east-2\","
                + "\"eventSourceARN\":\"" + STREAM_ARN + "\"}]}");
    }

    @Test
    void shouldBeReadByLambdasJavaRuntime() {
        byte[] data1 = {0, 1, 2, (byte) 0xff, (byte) 0x80, 'x', '"'};
        byte[] data2 = new byte[0];
        byte[] event = WRITER.write(List.of(
                new EventRecord("key \"1\" é \n", SEQ_1, data1, 1_700_000_000_001L),
                new EventRecord("k2", SEQ_2, data2, 1_700_000_123_450L)), null);

        KinesisEvent parsed = LambdaEventSerializers.serializerFor(KinesisEvent.class, getClass().getClassLoader())
                .fromJson(new String(event, StandardCharsets.UTF_8));

        assertThat(parsed.getRecords()).hasSize(2);
        KinesisEvent.KinesisEventRecord first = parsed.getRecords().get(0);
        assertThat(first.getEventSource()).isEqualTo("aws:kinesis");
        assertThat(first.getEventVersion()).isEqualTo("1.0");
        assertThat(first.getEventName()).isEqualTo("aws:kinesis:record");
        assertThat(first.getEventID()).isEqualTo("shardId-000000000000:" + SEQ_1);
        assertThat(first.getInvokeIdentityArn()).isEqualTo("arn:aws:iam::123456789012:role/lambda-role");
        assertThat(first.getAwsRegion()).isEqualTo("us-east-2");
        assertThat(first.getEventSourceARN()).isEqualTo(STREAM_ARN);
        KinesisEvent.Record kinesis = first.getKinesis();
        assertThat(kinesis.getKinesisSchemaVersion()).isEqualTo("1.0");
        assertThat(kinesis.getPartitionKey()).isEqualTo("key \"1\" é \n");
        assertThat(kinesis.getSequenceNumber()).isEqualTo(SEQ_1);
        assertThat(kinesis.getApproximateArrivalTimestamp()).isEqualTo(new Date(1_700_000_000_001L));
        assertThat(remaining(kinesis.getData())).containsExactly(data1);
        KinesisEvent.Record second = parsed.getRecords().get(1).getKinesis();
        assertThat(second.getPartitionKey()).isEqualTo("k2");
        assertThat(second.getSequenceNumber()).isEqualTo(SEQ_2);
        assertThat(second.getApproximateArrivalTimestamp()).isEqualTo(new Date(1_700_000_123_450L));
        assertThat(second.getData() == null ? new byte[0] : remaining(second.getData())).isEmpty();
    }

    @Test
    void shouldWriteTumblingWindowFieldsReadByLambdasJavaRuntime() {
        TumblingWindow window = new TumblingWindow(1_607_497_440_000L, 1_607_497_560_000L,
                "{\"1\":\"282\",\"2\":715}", true, false);
        byte[] event = WRITER.write(List.of(new EventRecord("k", SEQ_1, bytes("{}"), 1_607_497_441_000L)), window);

        String json = new String(event, StandardCharsets.UTF_8);
        assertThat(json).endsWith("],\"window\":{\"start\":\"2020-12-09T07:04:00Z\",\"end\":\"2020-12-09T07:06:00Z\"},"
                + "\"state\":{\"1\":\"282\",\"2\":715},\"shardId\":\"shardId-000000000000\","
                + "\"eventSourceARN\":\"" + STREAM_ARN + "\",\"isFinalInvokeForWindow\":true,"
                + "\"isWindowTerminatedEarly\":false}");
        KinesisTimeWindowEvent parsed = LambdaEventSerializers
                .serializerFor(KinesisTimeWindowEvent.class, getClass().getClassLoader()).fromJson(json);
        assertThat(parsed.getWindow().getStart()).isEqualTo("2020-12-09T07:04:00Z");
        assertThat(parsed.getWindow().getEnd()).isEqualTo("2020-12-09T07:06:00Z");
        assertThat(parsed.getState()).isEqualTo(Map.of("1", "282", "2", "715"));
        assertThat(parsed.getShardId()).isEqualTo("shardId-000000000000");
        assertThat(parsed.getEventSourceArn()).isEqualTo(STREAM_ARN);
        assertThat(parsed.getIsFinalInvokeForWindow()).isTrue();
        assertThat(parsed.getIsWindowTerminatedEarly()).isFalse();
        assertThat(parsed.getRecords()).hasSize(1);
        assertThat(parsed.getRecords().get(0).getKinesis().getSequenceNumber()).isEqualTo(SEQ_1);
    }

    @Test
    void sizeRuleShouldGiveTheWrittenSizeExactly() {
        Random random = new Random(19);
        for (TumblingWindow window : new TumblingWindow[] {null,
                new TumblingWindow(0, 60_000, "{\"ü\":\"x\"}", false, true)}) {
            List<EventRecord> records = new ArrayList<>();
            KinesisEventWriter.Sizer sizer = WRITER.sizer(window);
            assertThat(WRITER.write(records, window)).hasSize((int) sizer.bytes());
            for (int i = 0; i < 60; i++) {
                EventRecord record = randomRecord(random, i);
                long expected = sizer.bytesWith(WRITER.recordBytes(record));
                sizer.add(WRITER.recordBytes(record));
                records.add(record);
                assertThat(WRITER.write(records, window)).as("record %d: %s", i, record).hasSize((int) expected);
            }
        }
    }

    @Test
    void shouldEscapeEveryPartitionKeyCharacterAsJsonDoes() {
        String key = "a\u0000\u001f\u007f\t\\/\"\u2028\ud83d\ude00\ud800x";
        byte[] event = WRITER.write(List.of(new EventRecord(key, SEQ_1, new byte[0], 0)), null);

        KinesisEvent parsed = LambdaEventSerializers.serializerFor(KinesisEvent.class, getClass().getClassLoader())
                .fromJson(new String(event, StandardCharsets.UTF_8));
        assertThat(parsed.getRecords().get(0).getKinesis().getPartitionKey()).isEqualTo(key);
    }

    @Test
    void consumerArnShouldBecomeItsStreamArn() {
        assertThat(BatchContext.streamArnOf(STREAM_ARN + "/consumer/app:1700000000")).isEqualTo(STREAM_ARN);
        assertThat(BatchContext.streamArnOf(STREAM_ARN)).isEqualTo(STREAM_ARN);
        assertThat(BatchContext.defaultInvokeIdentityArn("123456789012", "my-function"))
                .isEqualTo("arn:aws:iam::123456789012:role/my-function");
    }

    @Test
    void arrivalShouldAlwaysHaveThreeFractionDigits() {
        assertThat(KinesisEventWriter.arrival(0)).isEqualTo("0.000");
        assertThat(KinesisEventWriter.arrival(1_545_084_650_007L)).isEqualTo("1545084650.007");
        assertThat(KinesisEventWriter.arrival(1_545_084_650_070L)).isEqualTo("1545084650.070");
        assertThat(KinesisEventWriter.arrival(1_545_084_650_700L)).isEqualTo("1545084650.700");
    }

    private static EventRecord randomRecord(Random random, int i) {
        StringBuilder key = new StringBuilder();
        int keyLength = 1 + random.nextInt(12);
        for (int c = 0; c < keyLength; c++) {
            key.append(switch (random.nextInt(6)) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> '"';
                case 2 -> (char) (0x80 + random.nextInt(0x780));
                case 3 -> (char) (0x800 + random.nextInt(0xd000));
                case 4 -> "\ud83d\ude00";
                default -> (char) ('a' + random.nextInt(26));
            });
        }
        byte[] data = new byte[random.nextInt(40)];
        random.nextBytes(data);
        long arrivalMs = i % 7 == 0 ? i : 1_600_000_000_000L + random.nextInt(1_000_000_000);
        return new EventRecord(key.toString(), "4959" + Long.toUnsignedString(random.nextLong()), data, arrivalMs);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] remaining(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
