package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link GetRecordsAnswer}, {@link PutRecordAnswer}, {@link PutRecordsAnswer} and {@link ErrorAnswer} on answers written by Jackson's
 * generators in both wire formats, shaped as Kinesis writes them (CBOR timestamps as tagged epoch milliseconds, JSON
 * data as base64), with the fields a reader skips.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class LeanAnswersTest {
    private static final String SEQ_1 = "49590338271490256608559692538361571095921575989136588898";
    private static final String SEQ_2 = "49590338271490256608559692540925702759324208523137515618";

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void readsEveryRecordsDataTheLastSequenceNumberAndTheNextIterator(boolean cbor) throws IOException {
        byte[] first = {1, 2, 3, (byte) 0xFF, 0};
        byte[] second = new byte[1024];
        second[1023] = 42;
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeNumberField("MillisBehindLatest", 0);
            g.writeArrayFieldStart("Records");
            record(g, cbor, first, SEQ_1);
            record(g, cbor, second, SEQ_2);
            g.writeEndArray();
            g.writeStringField("NextShardIterator", "AAAA-next");
            g.writeArrayFieldStart("ChildShards");
            g.writeStartObject();
            g.writeStringField("ShardId", "shardId-000000000002");
            g.writeArrayFieldStart("ParentShards");
            g.writeString("shardId-000000000000");
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });

        GetRecordsClient.Page page = GetRecordsAnswer.page(factory(cbor).createParser(answer));

        assertThat(page.data()).containsExactly(first, second);
        assertThat(page.lastSequenceNumber()).isEqualTo(SEQ_2);
        assertThat(page.nextShardIterator()).isEqualTo("AAAA-next");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anEmptyPageOfAClosedShardHasNoIteratorAndNoSequenceNumber(boolean cbor) throws IOException {
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("Records");
            g.writeEndArray();
            g.writeNullField("NextShardIterator");
            g.writeNumberField("MillisBehindLatest", 1234);
            g.writeEndObject();
        });

        GetRecordsClient.Page page = GetRecordsAnswer.page(factory(cbor).createParser(answer));

        assertThat(page.data()).isEmpty();
        assertThat(page.lastSequenceNumber()).isNull();
        assertThat(page.nextShardIterator()).isNull();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aRecordWithoutDataIsAnErrorNotAnEmptyRecord(boolean cbor) throws IOException {
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("Records");
            g.writeStartObject();
            g.writeStringField("SequenceNumber", SEQ_1);
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });

        assertThatThrownBy(() -> GetRecordsAnswer.page(factory(cbor).createParser(answer)))
                .isInstanceOf(IOException.class).hasMessageContaining("without Data");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aRecordWithoutASequenceNumberIsAnErrorNotTheLastSequenceNumberOfAnother(boolean cbor) throws IOException {
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("Records");
            record(g, cbor, new byte[] {1}, SEQ_1);
            g.writeStartObject();
            g.writeBinaryField("Data", new byte[] {2});
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });

        assertThatThrownBy(() -> GetRecordsAnswer.page(factory(cbor).createParser(answer)))
                .isInstanceOf(IOException.class).hasMessageContaining("without SequenceNumber");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anErrorAnswerBecomesTheSdksExceptionWithTheAwsErrorCode(boolean cbor) throws IOException {
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeStringField("__type", "com.amazonaws.kinesis#ExpiredIteratorException");
            g.writeStringField("message", "Iterator expired.");
            g.writeEndObject();
        });

        KinesisException e = ErrorAnswer.read(400, null, factory(cbor).createParser(answer));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ExpiredIteratorException");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Iterator expired.");
        assertThat(ErrorCounts.errorType(e)).isEqualTo("ExpiredIteratorException");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anUnreadableErrorBodyFallsBackToTheHeaderThenTheStatus(boolean cbor) throws IOException {
        byte[] html = "<html>502 Bad Gateway</html>".getBytes(StandardCharsets.UTF_8);

        KinesisException named = ErrorAnswer.read(400, "ProvisionedThroughputExceededException:http://x",
                factory(cbor).createParser(html));
        KinesisException unnamed = ErrorAnswer.read(502, null, factory(cbor).createParser(html));

        assertThat(named.awsErrorDetails().errorCode()).isEqualTo("ProvisionedThroughputExceededException");
        assertThat(unnamed.awsErrorDetails().errorCode()).isEqualTo("HTTP 502");
        assertThat(unnamed.awsErrorDetails().errorMessage()).startsWith("unreadable error body");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aPutRecordAnswerIsAnAcknowledgementOnlyWithASequenceNumber(boolean cbor) throws IOException {
        byte[] stored = write(cbor, g -> {
            g.writeStartObject();
            g.writeStringField("ShardId", "shardId-000000000003");
            g.writeStringField("SequenceNumber", SEQ_1);
            g.writeStringField("EncryptionType", "NONE");
            g.writeEndObject();
        });
        byte[] withoutSequenceNumber = write(cbor, g -> {
            g.writeStartObject();
            g.writeStringField("ShardId", "shardId-000000000003");
            g.writeEndObject();
        });

        assertThat(PutRecordAnswer.sequenceNumber(factory(cbor).createParser(stored))).isEqualTo(SEQ_1);
        assertThatThrownBy(() -> PutRecordAnswer.sequenceNumber(factory(cbor).createParser(withoutSequenceNumber)))
                .isInstanceOf(IOException.class).hasMessageContaining("without a SequenceNumber");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aPutRecordsAnswerIsCountedByErrorCodeWithTheFirstMessageOfEach(boolean cbor) throws IOException {
        // As Millrace writes it: Records first, FailedRecordCount after them.
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("Records");
            stored(g, SEQ_1);
            failed(g, Throttling.PROVISIONED, "Rate exceeded for shard 0.");
            failed(g, "InternalFailure", "Internal service failure.");
            stored(g, SEQ_2);
            failed(g, Throttling.PROVISIONED, "Rate exceeded for shard 1.");
            g.writeEndArray();
            g.writeStringField("EncryptionType", "NONE");
            g.writeNumberField("FailedRecordCount", 3);
            g.writeEndObject();
        });

        PutRecordsAnswer read = new PutRecordsAnswer().read(factory(cbor).createParser(answer));

        assertThat(read.failedRecordCount()).isEqualTo(3);
        assertThat(read.entries()).isEqualTo(5);
        assertThat(read.failedEntries()).isEqualTo(3);
        assertThat(read.distinctCodes()).isEqualTo(2);
        assertThat(read.code(0)).isEqualTo(Throttling.PROVISIONED);
        assertThat(read.count(0)).isEqualTo(2);
        assertThat(read.message(0)).isEqualTo("Rate exceeded for shard 0.");
        assertThat(read.code(1)).isEqualTo("InternalFailure");
        assertThat(read.count(1)).isEqualTo(1);
        assertThat(read.message(1)).isEqualTo("Internal service failure.");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aPutRecordsAnswerReadAgainForgetsTheLastOne(boolean cbor) throws IOException {
        byte[] throttled = write(cbor, g -> {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", 1);
            g.writeArrayFieldStart("Records");
            failed(g, Throttling.PROVISIONED, "Rate exceeded.");
            g.writeEndArray();
            g.writeEndObject();
        });
        byte[] stored = write(cbor, g -> {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", 0);
            g.writeArrayFieldStart("Records");
            stored(g, SEQ_1);
            stored(g, SEQ_2);
            g.writeEndArray();
            g.writeEndObject();
        });
        PutRecordsAnswer answer = new PutRecordsAnswer();
        answer.read(factory(cbor).createParser(throttled));

        answer.read(factory(cbor).createParser(stored));

        assertThat(answer.failedRecordCount()).isZero();
        assertThat(answer.failedEntries()).isZero();
        assertThat(answer.distinctCodes()).isZero();
        assertThat(answer.entries()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aNullErrorCodeIsAStoredEntryAndAMessageBeforeItsCodeIsKept(boolean cbor) throws IOException {
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", 1);
            g.writeArrayFieldStart("Records");
            g.writeStartObject();
            g.writeStringField("SequenceNumber", SEQ_1);
            g.writeNullField("ErrorCode");
            g.writeNullField("ErrorMessage");
            g.writeEndObject();
            g.writeStartObject();
            g.writeStringField("ErrorMessage", "KMS is throttling.");
            g.writeStringField("ErrorCode", "KMSThrottlingException");
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });

        PutRecordsAnswer read = new PutRecordsAnswer().read(factory(cbor).createParser(answer));

        assertThat(read.failedEntries()).isEqualTo(1);
        assertThat(read.code(0)).isEqualTo("KMSThrottlingException");
        assertThat(read.message(0)).isEqualTo("KMS is throttling.");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void errorCodesPastTheLimitShareOneCount(boolean cbor) throws IOException {
        int codes = PutRecordsAnswer.MAX_CODES + 4;
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", codes);
            g.writeArrayFieldStart("Records");
            for (int i = 0; i < codes; i++) {
                failed(g, "Code" + i, "message " + i);
            }
            g.writeEndArray();
            g.writeEndObject();
        });

        PutRecordsAnswer read = new PutRecordsAnswer().read(factory(cbor).createParser(answer));

        assertThat(read.distinctCodes()).isEqualTo(PutRecordsAnswer.MAX_CODES);
        assertThat(read.code(PutRecordsAnswer.MAX_CODES - 2)).isEqualTo("Code" + (PutRecordsAnswer.MAX_CODES - 2));
        assertThat(read.code(PutRecordsAnswer.MAX_CODES - 1)).isEqualTo(PutRecordsAnswer.OTHER_CODES);
        assertThat(read.count(PutRecordsAnswer.MAX_CODES - 1)).isEqualTo(5);
        assertThat(read.failedEntries()).isEqualTo(codes);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aPutRecordsAnswerWithoutAFailedRecordCountIsAnError(boolean cbor) throws IOException {
        byte[] answer = write(cbor, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("Records");
            stored(g, SEQ_1);
            g.writeEndArray();
            g.writeEndObject();
        });

        assertThatThrownBy(() -> new PutRecordsAnswer().read(factory(cbor).createParser(answer)))
                .isInstanceOf(IOException.class).hasMessageContaining("without a FailedRecordCount");
    }

    private static void stored(JsonGenerator g, String sequenceNumber) throws IOException {
        g.writeStartObject();
        g.writeStringField("SequenceNumber", sequenceNumber);
        g.writeStringField("ShardId", "shardId-000000000001");
        g.writeEndObject();
    }

    private static void failed(JsonGenerator g, String code, String message) throws IOException {
        g.writeStartObject();
        g.writeStringField("ErrorCode", code);
        g.writeStringField("ErrorMessage", message);
        g.writeEndObject();
    }

    private static void record(JsonGenerator g, boolean cbor, byte[] data, String sequenceNumber)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("SequenceNumber", sequenceNumber);
        g.writeFieldName("ApproximateArrivalTimestamp");
        if (cbor) {
            ((CBORGenerator) g).writeTag(1);
            g.writeNumber(1_795_000_000_123L);
        } else {
            g.writeNumber(1_795_000_000.123);
        }
        g.writeBinaryField("Data", data);
        g.writeStringField("PartitionKey", "key-1");
        g.writeEndObject();
    }

    private static JsonFactory factory(boolean cbor) {
        return cbor ? new CBORFactory() : new JsonFactory();
    }

    private static byte[] write(boolean cbor, Body body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = factory(cbor).createGenerator(out)) {
            body.write(g);
        }
        return out.toByteArray();
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }
}
