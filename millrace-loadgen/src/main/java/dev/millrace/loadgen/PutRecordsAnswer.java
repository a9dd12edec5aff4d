package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * A PutRecords answer (CBOR or JSON), read token by token and kept only as far as the generator counts it: the
 * {@code FailedRecordCount}, how many entries came back, and, per {@code ErrorCode} of the failed entries, how many
 * and the first {@code ErrorMessage}. A successful entry's fields (SequenceNumber, ShardId) are skipped without being
 * decoded, and a failed entry's code is matched against the codes already seen in place, so an answer of 500
 * acknowledged or 500 throttled entries creates no object per entry.
 *
 * <p>The fields may come in any order (Millrace writes {@code FailedRecordCount} after {@code Records}, AWS before).
 *
 * <p>Not thread-safe: each producer slot owns one and reuses it for each of its requests; {@link #read} runs on the
 * connection's event loop and the counts are read by the completion that follows it on the same thread.
 */
final class PutRecordsAnswer {
    /**
     * Distinct error codes kept apart per answer. Kinesis has a handful (throttling, InternalFailure, a few KMS
     * ones); a server that made up more would otherwise grow this without bound, so the rest share one count.
     */
    static final int MAX_CODES = 16;
    /** The code the failed entries of any further distinct codes are counted under. */
    static final String OTHER_CODES = "OtherErrorCodes";

    private final String[] codes = new String[MAX_CODES];
    private final int[] counts = new int[MAX_CODES];
    private final String[] messages = new String[MAX_CODES];
    private int distinctCodes;
    private int failedRecordCount;
    private int entries;
    private int failedEntries;

    /** Reads one 200 answer, replacing what the previous one left; returns this. */
    PutRecordsAnswer read(JsonParser p) throws IOException {
        clear();
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new IOException("a PutRecords answer that is not an object, at " + p.currentLocation());
        }
        boolean hasFailedRecordCount = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("FailedRecordCount".equals(field)) {
                failedRecordCount = p.getIntValue();
                hasFailedRecordCount = true;
            } else if ("Records".equals(field)) {
                if (value != JsonToken.START_ARRAY) {
                    throw new IOException("a PutRecords answer whose Records is " + value + ", at "
                            + p.currentLocation());
                }
                readEntries(p);
            } else {
                p.skipChildren();
            }
        }
        if (!hasFailedRecordCount) {
            throw new IOException("a PutRecords answer without a FailedRecordCount");
        }
        return this;
    }

    private void readEntries(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.START_OBJECT) {
            entries++;
            int code = -1;
            // Only when the message comes before its code (no server seen does that) is it kept as a String first.
            String messageBeforeCode = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_NULL) {
                    continue; // a JSON writer's "ErrorCode": null is a successful entry
                }
                if ("ErrorCode".equals(field)) {
                    code = codeIndex(p);
                } else if ("ErrorMessage".equals(field)) {
                    if (code < 0) {
                        messageBeforeCode = p.getText();
                    } else if (messages[code] == null) {
                        messages[code] = p.getText();
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (code >= 0) {
                counts[code]++;
                failedEntries++;
                if (messages[code] == null) {
                    messages[code] = messageBeforeCode;
                }
            }
        }
    }

    /** The index of the current text token's code, compared in place; a String only for a code not seen yet. */
    private int codeIndex(JsonParser p) throws IOException {
        char[] text = p.getTextCharacters();
        int offset = p.getTextOffset();
        int length = p.getTextLength();
        for (int i = 0; i < distinctCodes; i++) {
            if (sameText(codes[i], text, offset, length)) {
                return i;
            }
        }
        if (distinctCodes < MAX_CODES - 1) {
            codes[distinctCodes] = new String(text, offset, length);
            return distinctCodes++;
        }
        if (distinctCodes == MAX_CODES - 1) {
            codes[distinctCodes++] = OTHER_CODES; // the last index is shared by every code past the others
        }
        return MAX_CODES - 1;
    }

    private static boolean sameText(String code, char[] text, int offset, int length) {
        if (code.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (code.charAt(i) != text[offset + i]) {
                return false;
            }
        }
        return true;
    }

    private void clear() {
        for (int i = 0; i < distinctCodes; i++) {
            codes[i] = null;
            counts[i] = 0;
            messages[i] = null;
        }
        distinctCodes = 0;
        failedRecordCount = 0;
        entries = 0;
        failedEntries = 0;
    }

    /** The answer's own {@code FailedRecordCount}. */
    int failedRecordCount() {
        return failedRecordCount;
    }

    /** The entries in the answer's {@code Records}. */
    int entries() {
        return entries;
    }

    /** The entries with an {@code ErrorCode}. */
    int failedEntries() {
        return failedEntries;
    }

    /** How many distinct error codes the failed entries had; {@link #code}, {@link #count}, {@link #message} by index. */
    int distinctCodes() {
        return distinctCodes;
    }

    String code(int index) {
        return codes[index];
    }

    int count(int index) {
        return counts[index];
    }

    /** The first {@code ErrorMessage} of the code's entries, or null if none had one. */
    String message(int index) {
        return messages[index];
    }
}
