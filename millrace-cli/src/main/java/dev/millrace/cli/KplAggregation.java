package dev.millrace.cli;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * De-aggregation of records written by the Kinesis Producer Library, as KCL does it. The layout, owned here
 * (awslabs/amazon-kinesis-producer aggregation-format.md; KCL's messages.proto, proto2):
 * <pre>
 * [F3 89 9A C2] [protobuf AggregatedRecord] [16-byte MD5 of the protobuf bytes]
 *
 * message AggregatedRecord {
 *   repeated string partition_key_table = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes data = 3;
 *   repeated Tag tags = 4;            // skipped
 * }
 * </pre>
 * A record is de-aggregated only if it starts with the magic, is long enough, its MD5 matches and its protobuf is
 * well formed with every index inside its table; anything else is a plain record and is shown as it is, as KCL does
 * for a bad MD5. Unlike KCL, sub-records whose hash key lies outside the shard's range are kept: a tail shows what is
 * stored, and each record is stored once whatever its sub-records' keys.
 *
 * <p>Stateless, thread-safe.
 */
final class KplAggregation {
    static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
    static final int MD5_BYTES = 16;

    private static final int PARTITION_KEY_TABLE = 1;
    private static final int EXPLICIT_HASH_KEY_TABLE = 2;
    private static final int RECORDS = 3;
    private static final int RECORD_PARTITION_KEY_INDEX = 1;
    private static final int RECORD_EXPLICIT_HASH_KEY_INDEX = 2;
    private static final int RECORD_DATA = 3;

    /** One user record of an aggregated record; {@code explicitHashKey} is null when it had none. */
    record UserRecord(String partitionKey, String explicitHashKey, byte[] data) {
    }

    private KplAggregation() {
    }

    /** The user records of {@code data} in order, or null if it is not a valid KPL aggregated record. */
    static List<UserRecord> deaggregate(byte[] data) {
        if (data.length < MAGIC.length + MD5_BYTES
                || !Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return null;
        }
        int protobufEnd = data.length - MD5_BYTES;
        MessageDigest md5 = md5();
        md5.update(data, MAGIC.length, protobufEnd - MAGIC.length);
        if (!Arrays.equals(md5.digest(), 0, MD5_BYTES, data, protobufEnd, data.length)) {
            return null;
        }
        try {
            return parse(CodedInputStream.newInstance(data, MAGIC.length, protobufEnd - MAGIC.length));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private static List<UserRecord> parse(CodedInputStream in) throws IOException {
        List<String> partitionKeys = new ArrayList<>();
        List<String> explicitHashKeys = new ArrayList<>();
        List<long[]> indexes = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean delimited = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            if (field == PARTITION_KEY_TABLE && delimited) {
                partitionKeys.add(in.readStringRequireUtf8());
            } else if (field == EXPLICIT_HASH_KEY_TABLE && delimited) {
                explicitHashKeys.add(in.readStringRequireUtf8());
            } else if (field == RECORDS && delimited) {
                int limit = in.pushLimit(in.readRawVarint32());
                readRecord(in, indexes, payloads);
                in.popLimit(limit);
            } else if (field <= RECORDS) {
                throw new InvalidProtocolBufferException("field " + field + " has the wrong wire type");
            } else {
                in.skipField(tag);
            }
        }
        List<UserRecord> records = new ArrayList<>(payloads.size());
        for (int i = 0; i < payloads.size(); i++) {
            long keyIndex = indexes.get(i)[0];
            long hashKeyIndex = indexes.get(i)[1];
            if (keyIndex < 0 || keyIndex >= partitionKeys.size() || hashKeyIndex >= explicitHashKeys.size()) {
                return null;
            }
            records.add(new UserRecord(partitionKeys.get((int) keyIndex),
                    hashKeyIndex < 0 ? null : explicitHashKeys.get((int) hashKeyIndex), payloads.get(i)));
        }
        return records.isEmpty() ? null : records;
    }

    /** Reads one Record up to the current limit; its two indexes go to {@code indexes} (-1: absent). */
    private static void readRecord(CodedInputStream in, List<long[]> indexes, List<byte[]> payloads)
            throws IOException {
        long keyIndex = -1;
        long hashKeyIndex = -1;
        byte[] data = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            int wireType = WireFormat.getTagWireType(tag);
            if (field == RECORD_PARTITION_KEY_INDEX && wireType == WireFormat.WIRETYPE_VARINT) {
                keyIndex = in.readUInt64();
            } else if (field == RECORD_EXPLICIT_HASH_KEY_INDEX && wireType == WireFormat.WIRETYPE_VARINT) {
                hashKeyIndex = in.readUInt64();
            } else if (field == RECORD_DATA && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                data = in.readByteArray();
            } else if (field <= RECORD_DATA) {
                throw new InvalidProtocolBufferException("record field " + field + " has the wrong wire type");
            } else {
                in.skipField(tag);
            }
        }
        if (keyIndex < 0 || data == null) {
            throw new InvalidProtocolBufferException("a record lacks its partition key index or its data");
        }
        indexes.add(new long[] {keyIndex, hashKeyIndex});
        payloads.add(data);
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
    }
}
