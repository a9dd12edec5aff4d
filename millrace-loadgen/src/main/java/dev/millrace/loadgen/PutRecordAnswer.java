package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Reads a PutRecord answer (CBOR or JSON) just far enough to know the record was stored: an object with a
 * {@code SequenceNumber}. Everything else (ShardId, EncryptionType) is skipped. PutRecords answers are
 * {@link PutRecordsAnswer}'s.
 *
 * <p>Thread-safe: stateless.
 */
final class PutRecordAnswer {
    private PutRecordAnswer() {
    }

    /** The record's sequence number; an answer without one is an error, not an acknowledgement. */
    static String sequenceNumber(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new IOException("a PutRecord answer that is not an object, at " + p.currentLocation());
        }
        String sequenceNumber = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if ("SequenceNumber".equals(field)) {
                sequenceNumber = p.getText();
            } else {
                p.skipChildren();
            }
        }
        if (sequenceNumber == null) {
            throw new IOException("a PutRecord answer without a SequenceNumber");
        }
        return sequenceNumber;
    }
}
