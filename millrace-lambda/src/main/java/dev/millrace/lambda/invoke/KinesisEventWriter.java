package dev.millrace.lambda.invoke;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

import static dev.millrace.lambda.invoke.JsonText.utf8;
import static dev.millrace.lambda.invoke.JsonText.stringBytes;
import static dev.millrace.lambda.invoke.JsonText.writeRaw;
import static dev.millrace.lambda.invoke.JsonText.writeString;

/**
 * Writes the event Lambda sends a function for a batch of Kinesis records (facts §3.1, §3.2), compact, fields in
 * AWS's order:
 *
 * <pre>
 * event   = {"Records":[ record *( , record ) ] [ window ] }
 * record  = {"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":STR,"sequenceNumber":STR,
 *            "data":"BASE64","approximateArrivalTimestamp":SECONDS.MMM},
 *            "eventSource":"aws:kinesis","eventVersion":"1.0","eventID":STR(shardId ":" sequenceNumber),
 *            "eventName":"aws:kinesis:record","invokeIdentityArn":STR,"awsRegion":STR,"eventSourceARN":STR}
 * window  = ,"window":{"start":"ISO","end":"ISO"},"state":OBJECT,"shardId":STR,"eventSourceARN":STR,
 *            "isFinalInvokeForWindow":BOOL,"isWindowTerminatedEarly":BOOL
 *
 * STR      a JSON string, escaped as {@link JsonText} does
 * BASE64   the record's bytes, standard base64 with padding: 4 * ceil(n / 3) bytes
 * SECONDS.MMM  the arrival time in epoch seconds, always three fraction digits (a JSON number, 1545084650.987)
 * ISO      UTC at second precision, 2020-12-09T07:04:00Z
 * OBJECT   the window's state as the function last returned it ({} at first)
 * </pre>
 *
 * <p>Size rule, for cutting batches at the 6 MB payload limit (§4.5): an event of records r1..rn is exactly
 * {@code envelopeBytes(window) + recordBytes(r1) + ... + recordBytes(rn) + (n - 1)} bytes (one comma between two
 * records; an empty event is {@code envelopeBytes}). {@link Sizer} keeps that sum for a batch being filled. The
 * writer computes the size first, writes into an array of exactly that size, and fails loudly if the two disagree.
 *
 * <p>Immutable, thread-safe.
 */
public final class KinesisEventWriter {
    private static final Base64.Encoder BASE64 = Base64.getEncoder();
    private static final byte[] EVENT_START = utf8("{\"Records\":[");
    private static final byte[] RECORDS_END = utf8("]");
    private static final byte[] EVENT_END = utf8("}");
    private static final byte[] RECORD_START = utf8("{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":");
    private static final byte[] SEQUENCE_NUMBER = utf8(",\"sequenceNumber\":");
    private static final byte[] DATA = utf8(",\"data\":\"");
    private static final byte[] ARRIVAL = utf8("\",\"approximateArrivalTimestamp\":");
    private static final byte[] EVENT_ID =
            utf8("},\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\",\"eventID\":");
    private static final byte[] WINDOW_START = utf8(",\"window\":{\"start\":");
    private static final byte[] WINDOW_END = utf8(",\"end\":");
    private static final byte[] STATE = utf8("},\"state\":");
    private static final byte[] SHARD_ID = utf8(",\"shardId\":");
    private static final byte[] EVENT_SOURCE_ARN = utf8(",\"eventSourceARN\":");
    private static final byte[] FINAL_INVOKE = utf8(",\"isFinalInvokeForWindow\":");
    private static final byte[] TERMINATED_EARLY = utf8(",\"isWindowTerminatedEarly\":");
    private static final byte[] TRUE = utf8("true");
    private static final byte[] FALSE = utf8("false");
    private static final byte COMMA = ',';
    /** Digits of the arrival time after the seconds: the point and three of milliseconds. */
    private static final int MILLIS_FRACTION_BYTES = 4;

    private final BatchContext context;
    /** The record's fields after eventID, the same for every record of this context. */
    private final byte[] recordTail;
    /** Bytes of a record besides its partition key, sequence number (twice), data and arrival time. */
    private final long recordFixedBytes;

    public KinesisEventWriter(BatchContext context) {
        this.context = Objects.requireNonNull(context, "context");
        byte[] identity = quoted(context.invokeIdentityArn());
        byte[] region = quoted(context.awsRegion());
        byte[] arn = quoted(context.streamArn());
        byte[] names1 = utf8(",\"eventName\":\"aws:kinesis:record\",\"invokeIdentityArn\":");
        byte[] names2 = utf8(",\"awsRegion\":");
        byte[] tail = new byte[names1.length + identity.length + names2.length + region.length
                + EVENT_SOURCE_ARN.length + arn.length + 1];
        int pos = writeRaw(tail, 0, names1);
        pos = writeRaw(tail, pos, identity);
        pos = writeRaw(tail, pos, names2);
        pos = writeRaw(tail, pos, region);
        pos = writeRaw(tail, pos, EVENT_SOURCE_ARN);
        pos = writeRaw(tail, pos, arn);
        tail[pos] = '}';
        this.recordTail = tail;
        this.recordFixedBytes = RECORD_START.length + SEQUENCE_NUMBER.length + DATA.length + ARRIVAL.length
                + EVENT_ID.length + recordTail.length;
    }

    public BatchContext context() {
        return context;
    }

    /** Bytes {@code record} takes in an event, without the comma that separates it from the one before. */
    public long recordBytes(EventRecord record) {
        return recordFixedBytes
                + stringBytes(record.partitionKey())
                + stringBytes(record.sequenceNumber())
                + base64Bytes(record.data().length)
                + arrivalBytes(record.arrivalMs())
                + stringBytes(eventId(record));
    }

    /** Bytes of an event with no records: the plain batch's when {@code window} is null, else the windowed one's. */
    public long envelopeBytes(TumblingWindow window) {
        long bytes = EVENT_START.length + RECORDS_END.length + EVENT_END.length;
        if (window != null) {
            bytes += WINDOW_START.length + stringBytes(iso(window.startMs())) + WINDOW_END.length
                    + stringBytes(iso(window.endMs())) + STATE.length + stateBytes(window).length
                    + SHARD_ID.length + stringBytes(context.shardId())
                    + EVENT_SOURCE_ARN.length + stringBytes(context.streamArn())
                    + FINAL_INVOKE.length + bool(window.finalInvoke()).length
                    + TERMINATED_EARLY.length + bool(window.terminatedEarly()).length;
        }
        return bytes;
    }

    /** A running size for a batch being filled; {@code window} null for a plain batch. */
    public Sizer sizer(TumblingWindow window) {
        return new Sizer(envelopeBytes(window));
    }

    /**
     * The event for {@code records} (in the order given), plain when {@code window} is null.
     *
     * @throws IllegalArgumentException if the event would not fit in a Java array
     */
    public byte[] write(List<EventRecord> records, TumblingWindow window) {
        Sizer sizer = sizer(window);
        for (EventRecord record : records) {
            sizer.add(recordBytes(record));
        }
        if (sizer.bytes() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("event of " + sizer.bytes() + " bytes is too large to write");
        }
        byte[] out = new byte[(int) sizer.bytes()];
        int pos = writeRaw(out, 0, EVENT_START);
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) {
                out[pos++] = COMMA;
            }
            pos = writeRecord(out, pos, records.get(i));
        }
        pos = writeRaw(out, pos, RECORDS_END);
        if (window != null) {
            pos = writeWindow(out, pos, window);
        }
        pos = writeRaw(out, pos, EVENT_END);
        if (pos != out.length) {
            throw new IllegalStateException("event size rule broken: computed " + out.length + ", wrote " + pos);
        }
        return out;
    }

    private int writeRecord(byte[] out, int pos, EventRecord record) {
        pos = writeRaw(out, pos, RECORD_START);
        pos = writeString(out, pos, record.partitionKey());
        pos = writeRaw(out, pos, SEQUENCE_NUMBER);
        pos = writeString(out, pos, record.sequenceNumber());
        pos = writeRaw(out, pos, DATA);
        pos = writeRaw(out, pos, BASE64.encode(record.data()));
        pos = writeRaw(out, pos, ARRIVAL);
        pos = writeRaw(out, pos, utf8(arrival(record.arrivalMs())));
        pos = writeRaw(out, pos, EVENT_ID);
        pos = writeString(out, pos, eventId(record));
        return writeRaw(out, pos, recordTail);
    }

    private int writeWindow(byte[] out, int pos, TumblingWindow window) {
        pos = writeRaw(out, pos, WINDOW_START);
        pos = writeString(out, pos, iso(window.startMs()));
        pos = writeRaw(out, pos, WINDOW_END);
        pos = writeString(out, pos, iso(window.endMs()));
        pos = writeRaw(out, pos, STATE);
        pos = writeRaw(out, pos, stateBytes(window));
        pos = writeRaw(out, pos, SHARD_ID);
        pos = writeString(out, pos, context.shardId());
        pos = writeRaw(out, pos, EVENT_SOURCE_ARN);
        pos = writeString(out, pos, context.streamArn());
        pos = writeRaw(out, pos, FINAL_INVOKE);
        pos = writeRaw(out, pos, bool(window.finalInvoke()));
        pos = writeRaw(out, pos, TERMINATED_EARLY);
        return writeRaw(out, pos, bool(window.terminatedEarly()));
    }

    private String eventId(EventRecord record) {
        return context.shardId() + ':' + record.sequenceNumber();
    }

    private static byte[] stateBytes(TumblingWindow window) {
        return utf8(window.stateJson());
    }

    private static byte[] bool(boolean value) {
        return value ? TRUE : FALSE;
    }

    private static byte[] quoted(String s) {
        byte[] out = new byte[stringBytes(s)];
        writeString(out, 0, s);
        return out;
    }

    static long base64Bytes(int dataBytes) {
        return 4L * ((dataBytes + 2L) / 3);
    }

    /** Epoch seconds with a three-digit millisecond fraction: Lambda's number, read back as double seconds. */
    static String arrival(long arrivalMs) {
        long millis = arrivalMs % 1000;
        return (arrivalMs / 1000) + (millis < 10 ? ".00" : millis < 100 ? ".0" : ".") + millis;
    }

    private static long arrivalBytes(long arrivalMs) {
        return stringSize(arrivalMs / 1000) + MILLIS_FRACTION_BYTES;
    }

    private static int stringSize(long nonNegative) {
        int digits = 1;
        for (long v = nonNegative; v >= 10; v /= 10) {
            digits++;
        }
        return digits;
    }

    private static String iso(long epochMs) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(Math.floorDiv(epochMs, 1000)));
    }

    /**
     * The size of an event being filled with records, by the rule in the class comment. The loop asks
     * {@link #bytesWith} before it adds a record, and cuts the batch when the answer would pass its limit.
     *
     * <p>Not thread-safe: one per batch being filled.
     */
    public static final class Sizer {
        private long bytes;
        private int records;

        private Sizer(long envelopeBytes) {
            this.bytes = envelopeBytes;
        }

        /** The event's size if a record of {@code recordBytes} were added. */
        public long bytesWith(long recordBytes) {
            return bytes + recordBytes + (records > 0 ? 1 : 0);
        }

        public void add(long recordBytes) {
            bytes = bytesWith(recordBytes);
            records++;
        }

        /** The event's size with the records added so far. */
        public long bytes() {
            return bytes;
        }

        public int records() {
            return records;
        }
    }
}
