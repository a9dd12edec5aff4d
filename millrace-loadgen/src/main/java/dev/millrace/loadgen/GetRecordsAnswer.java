package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a GetRecords answer token by token with Jackson's streaming parser: the same code for
 * CBOR (Data a byte string) and JSON (Data base64 text), because {@link JsonParser#getBinaryValue()} reads both.
 * Only what a reader needs is kept: each record's data, the last sequence number and the next iterator; every other
 * field (arrival times, partition keys, MillisBehindLatest, ChildShards, fields a later API version adds) is skipped
 * unread.
 *
 * <p>Thread-safe: stateless.
 */
final class GetRecordsAnswer {
    /** Kinesis sequence numbers are at most 128 digits (the API model's pattern {@code 0|([1-9]\d{0,128})}). */
    private static final int MAX_SEQUENCE_CHARS = 129;

    private GetRecordsAnswer() {
    }

    /** The page in a 200 answer. */
    static GetRecordsClient.Page page(JsonParser p) throws IOException {
        expect(p, p.nextToken(), JsonToken.START_OBJECT, "the answer");
        List<byte[]> data = new ArrayList<>();
        // The last record's sequence number, copied without a String per record: a 10 MiB answer holds ~10,000.
        char[] sequence = new char[MAX_SEQUENCE_CHARS];
        int sequenceChars = 0;
        String next = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("Records".equals(field)) {
                expect(p, value, JsonToken.START_ARRAY, "Records");
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    byte[] recordData = null;
                    sequenceChars = -1;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String recordField = p.currentName();
                        p.nextToken();
                        if ("Data".equals(recordField)) {
                            recordData = p.getBinaryValue();
                        } else if ("SequenceNumber".equals(recordField)) {
                            sequenceChars = copyText(p, sequence);
                        } else {
                            p.skipChildren();
                        }
                    }
                    if (recordData == null || sequenceChars < 0) {
                        throw new IOException("a record without " + (recordData == null ? "Data" : "SequenceNumber")
                                + " at " + p.currentLocation());
                    }
                    data.add(recordData);
                }
            } else if ("NextShardIterator".equals(field)) {
                next = value == JsonToken.VALUE_NULL ? null : p.getText();
            } else {
                p.skipChildren();
            }
        }
        String last = data.isEmpty() ? null : new String(sequence, 0, sequenceChars);
        return new GetRecordsClient.Page(data, last, next);
    }

    private static int copyText(JsonParser p, char[] into) throws IOException {
        int length = p.getTextLength();
        if (length > into.length) {
            throw new IOException("a SequenceNumber of " + length + " characters at " + p.currentLocation());
        }
        System.arraycopy(p.getTextCharacters(), p.getTextOffset(), into, 0, length);
        return length;
    }

    private static void expect(JsonParser p, JsonToken actual, JsonToken expected, String what) throws IOException {
        if (actual != expected) {
            throw new IOException(what + " should start with " + expected + ", found " + actual + " at "
                    + p.currentLocation());
        }
    }
}
