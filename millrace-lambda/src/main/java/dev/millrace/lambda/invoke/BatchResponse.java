package dev.millrace.lambda.invoke;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a successful invocation's response says about its batch (facts §4.2, §3.2, §3.3).
 *
 * <p>With ReportBatchItemFailures the body is read as {@code {"batchItemFailures":[{"itemIdentifier":SEQ},...]}}:
 * <ul>
 *   <li>complete success: an empty body, {@code ""}, {@code null}, {@code []}, {@code {}}, and an object whose
 *       {@code batchItemFailures} is missing, {@code null} or {@code []} (all AWS-validated);
 *   <li>partial failure: every item names a record of the batch by its sequence number (an exact string); the batch
 *       failed from the lowest of them (compared as numbers: they are decimal strings of up to 128 digits) and the
 *       records before it are done;
 *   <li>whole-batch failure: an item whose {@code itemIdentifier} is missing, null, empty, not a string or not a
 *       sequence number of this batch (AWS-validated: {@code 123}, {@code ""}, {@code null}, {@code {"foo":..}});
 *       and, Millrace's reading where AWS is unverified (LocalStack does the same for the first): a body that is not
 *       JSON, any other JSON value (a non-empty string or array, a number, a boolean), a {@code batchItemFailures}
 *       that is not an array, an item that is not an object.
 * </ul>
 * Without ReportBatchItemFailures the body is not read for failures: the batch succeeded.
 *
 * <p>A tumbling-window invocation's response must carry {@code "state"}, a JSON object (Lambda fails the invocation
 * otherwise); it is kept compact for the window's next invocation. A state larger than {@link #MAX_STATE_BYTES} is
 * not a failure: Lambda then ends the window early ({@link #stateTooLarge}).
 *
 * <p>Immutable, thread-safe.
 *
 * @param verdict              see {@link Verdict}
 * @param failedFromIndex      {@link Verdict#PARTIAL}: index in the batch of the lowest failed record (the loop
 *                             retries from there); else -1
 * @param failedSequenceNumber {@link Verdict#PARTIAL}: that record's sequence number; else null
 * @param stateJson            windowed and not FAILED: the returned state, compact JSON object text; else null
 * @param stateTooLarge        the returned state is larger than {@link #MAX_STATE_BYTES}
 * @param reason               {@link Verdict#FAILED}: why, for logs; else null
 */
public record BatchResponse(Verdict verdict, int failedFromIndex, String failedSequenceNumber, String stateJson,
                            boolean stateTooLarge, String reason) {
    /** The tumbling-window state limit, 1 MB per shard (§3.2). */
    public static final int MAX_STATE_BYTES = 1024 * 1024;
    private static final JsonFactory JSON = new JsonFactory();

    /** How the batch fared. */
    public enum Verdict {
        /** Every record processed: checkpoint past the batch. */
        COMPLETE,
        /** Records from {@link #failedFromIndex} on failed; the ones before are done. */
        PARTIAL,
        /** The whole batch failed, as if the function had returned an error. */
        FAILED
    }

    public BatchResponse {
        Objects.requireNonNull(verdict, "verdict");
    }

    /**
     * Reads {@code body}, the response to an invocation with {@code batch} (a SUCCESS outcome's body).
     *
     * @param reportBatchItemFailures the mapping's FunctionResponseTypes has ReportBatchItemFailures
     * @param windowed                the mapping has a tumbling window (the response must carry state)
     */
    public static BatchResponse read(byte[] body, List<EventRecord> batch, boolean reportBatchItemFailures,
                                     boolean windowed) {
        if (!reportBatchItemFailures && !windowed) {
            return complete(null, false);
        }
        Parsed parsed;
        try {
            parsed = parse(body, batch, reportBatchItemFailures, windowed);
        } catch (IOException e) {
            return failed("response is not JSON: " + e.getMessage());
        }
        if (parsed.failure != null) {
            return failed(parsed.failure);
        }
        if (windowed && parsed.state == null) {
            return failed("response has no state object (required with a tumbling window)");
        }
        boolean tooLarge = parsed.state != null && parsed.state.length > MAX_STATE_BYTES;
        String state = parsed.state == null ? null : new String(parsed.state, StandardCharsets.UTF_8);
        if (parsed.lowestFailedIndex < 0) {
            return complete(state, tooLarge);
        }
        return new BatchResponse(Verdict.PARTIAL, parsed.lowestFailedIndex,
                batch.get(parsed.lowestFailedIndex).sequenceNumber(), state, tooLarge, null);
    }

    private static BatchResponse complete(String state, boolean stateTooLarge) {
        return new BatchResponse(Verdict.COMPLETE, -1, null, state, stateTooLarge, null);
    }

    private static BatchResponse failed(String reason) {
        return new BatchResponse(Verdict.FAILED, -1, null, null, false, reason);
    }

    /** The body's findings; {@code failure} set means the whole batch failed. */
    private static final class Parsed {
        String failure;
        int lowestFailedIndex = -1;
        byte[] state;
    }

    private static Parsed parse(byte[] body, List<EventRecord> batch, boolean itemFailures, boolean windowed)
            throws IOException {
        Parsed parsed = new Parsed();
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken root = p.nextToken();
            if (root == null || root == JsonToken.VALUE_NULL) {
                return parsed;
            }
            if (root == JsonToken.VALUE_STRING && p.getTextLength() == 0 || root == JsonToken.START_ARRAY
                    && p.nextToken() == JsonToken.END_ARRAY) {
                return endOfInput(p, parsed);
            }
            if (root != JsonToken.START_OBJECT) {
                parsed.failure = "response is not an object: " + root;
                return parsed;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (itemFailures && name.equals("batchItemFailures")) {
                    readItemFailures(p, batch, parsed);
                } else if (windowed && name.equals("state")) {
                    parsed.state = p.currentToken() == JsonToken.START_OBJECT ? copy(p) : null;
                    p.skipChildren();
                } else {
                    p.skipChildren();
                }
            }
            return endOfInput(p, parsed);
        }
    }

    private static Parsed endOfInput(JsonParser p, Parsed parsed) throws IOException {
        if (p.nextToken() != null) {
            parsed.failure = "response has more than one JSON value";
        }
        return parsed;
    }

    /**
     * Reads the array at the parser; a later {@code batchItemFailures} key replaces an earlier one wholly, its failure
     * too (no other failure is set while the object's keys are read).
     */
    private static void readItemFailures(JsonParser p, List<EventRecord> batch, Parsed parsed) throws IOException {
        parsed.lowestFailedIndex = -1;
        parsed.failure = null;
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return;
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            parsed.failure = "batchItemFailures is not an array";
            p.skipChildren();
            return;
        }
        Map<String, Integer> indexBySequence = new HashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            indexBySequence.put(batch.get(i).sequenceNumber(), i);
        }
        BigInteger lowest = null;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String identifier = itemIdentifier(p);
            Integer index = identifier == null ? null : indexBySequence.get(identifier);
            if (index == null) {
                if (parsed.failure == null) {
                    parsed.failure = identifier == null ? "a batch item failure has no itemIdentifier string"
                            : "itemIdentifier " + identifier + " is not a sequence number of the batch";
                }
                continue;
            }
            BigInteger sequence = new BigInteger(identifier);
            if (lowest == null || sequence.compareTo(lowest) < 0) {
                lowest = sequence;
                parsed.lowestFailedIndex = index;
            }
        }
    }

    /** The item's non-empty string itemIdentifier, else null; leaves the parser at the item's end. */
    private static String itemIdentifier(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        String identifier = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("itemIdentifier")) {
                identifier = value == JsonToken.VALUE_STRING && p.getTextLength() > 0 ? p.getText() : null;
            }
            p.skipChildren();
        }
        return identifier;
    }

    private static byte[] copy(JsonParser p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.copyCurrentStructure(p);
        }
        return out.toByteArray();
    }
}
