package dev.millrace.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * KPL aggregated records built here as the KPL writes them (magic, AggregatedRecord with protobuf-java's
 * CodedOutputStream, MD5), then broken on purpose: each break must leave the record as it is.
 */
class KplAggregationTest {
    /**
     * An aggregated record: the two key tables, then per user record {partition key index, explicit hash key index or
     * -1} and its data.
     */
    static byte[] aggregate(List<String> keys, List<String> hashKeys, List<long[]> indexes, List<String> data) {
        List<byte[]> payloads = data.stream().map(d -> d.getBytes(StandardCharsets.UTF_8)).toList();
        return withMagicAndMd5(protobuf(keys, hashKeys, indexes, payloads));
    }

    static byte[] protobuf(List<String> keys, List<String> hashKeys, List<long[]> indexes, List<byte[]> data) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            for (String k : keys) {
                out.writeString(1, k);
            }
            for (String h : hashKeys) {
                out.writeString(2, h);
            }
            for (int i = 0; i < data.size(); i++) {
                ByteArrayOutputStream recordBytes = new ByteArrayOutputStream();
                CodedOutputStream record = CodedOutputStream.newInstance(recordBytes);
                record.writeUInt64(1, indexes.get(i)[0]);
                if (indexes.get(i)[1] >= 0) {
                    record.writeUInt64(2, indexes.get(i)[1]);
                }
                record.writeBytes(3, ByteString.copyFrom(data.get(i)));
                // A tag (field 4), which the de-aggregation skips.
                record.writeBytes(4, ByteString.copyFromUtf8("\n\u0003tag"));
                record.flush();
                out.writeBytes(3, ByteString.copyFrom(recordBytes.toByteArray()));
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] withMagicAndMd5(byte[] protobuf) {
        try {
            byte[] md5 = MessageDigest.getInstance("MD5").digest(protobuf);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(KplAggregation.MAGIC);
            out.write(protobuf);
            out.write(md5);
            return out.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void userRecordsComeOutInOrderWithTheirKeys() {
        byte[] binary = {(byte) 0xFF, 0, 1};
        byte[] record = withMagicAndMd5(protobuf(List.of("alpha", "beta"), List.of("12345"),
                List.of(new long[] {0, -1}, new long[] {1, 0}, new long[] {0, -1}),
                List.of("one".getBytes(StandardCharsets.UTF_8), "two".getBytes(StandardCharsets.UTF_8), binary)));

        List<KplAggregation.UserRecord> users = KplAggregation.deaggregate(record);

        assertThat(users).hasSize(3);
        assertThat(users).extracting(KplAggregation.UserRecord::partitionKey).containsExactly("alpha", "beta",
                "alpha");
        assertThat(users).extracting(KplAggregation.UserRecord::explicitHashKey).containsExactly(null, "12345",
                null);
        assertThat(new String(users.get(0).data(), StandardCharsets.UTF_8)).isEqualTo("one");
        assertThat(new String(users.get(1).data(), StandardCharsets.UTF_8)).isEqualTo("two");
        assertThat(users.get(2).data()).containsExactly(binary);
    }

    @Test
    void aBadMd5LeavesTheRecordAsItIs() {
        byte[] record = aggregate(List.of("k"), List.of(), List.<long[]>of(new long[] {0, -1}), List.of("x"));
        record[record.length - 1] ^= 1;
        assertThat(KplAggregation.deaggregate(record)).isNull();
    }

    @Test
    void aChangedPayloadUnderTheOldMd5LeavesTheRecordAsItIs() {
        byte[] record = aggregate(List.of("k"), List.of(), List.<long[]>of(new long[] {0, -1}), List.of("x"));
        record[record.length - KplAggregation.MD5_BYTES - 1] ^= 1;
        assertThat(KplAggregation.deaggregate(record)).isNull();
    }

    @Test
    void plainRecordsAndTruncatedOnesAreNotAggregated() {
        assertThat(KplAggregation.deaggregate("hello".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(KplAggregation.deaggregate(KplAggregation.MAGIC)).isNull();
        byte[] valid = aggregate(List.of("k"), List.of(), List.<long[]>of(new long[] {0, -1}), List.of("x"));
        assertThat(KplAggregation.deaggregate(Arrays.copyOf(valid, valid.length - 1))).isNull();
    }

    @Test
    void anIndexOutsideItsTableOrMalformedProtobufIsNotAggregated() {
        assertThat(KplAggregation.deaggregate(aggregate(List.of("k"), List.of(),
                List.<long[]>of(new long[] {1, -1}), List.of("x")))).isNull();
        assertThat(KplAggregation.deaggregate(aggregate(List.of("k"), List.of(),
                List.<long[]>of(new long[] {0, 0}), List.of("x")))).as("no explicit hash key table").isNull();
        // Field 3 announced as 100 bytes long with 2 there, under a valid MD5.
        assertThat(KplAggregation.deaggregate(withMagicAndMd5(new byte[] {0x1A, 100, 1, 2}))).isNull();
    }

    @Test
    void anAggregatedRecordWithoutUserRecordsIsShownAsItIs() {
        assertThat(KplAggregation.deaggregate(withMagicAndMd5(protobuf(List.of("k"), List.of(), List.of(),
                List.of())))).isNull();
    }
}
