package dev.millrace.server.records;

import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One read of a shard, as GetRecords answers it and a SubscribeToShard event carries it: the records, what they weigh
 * against throughput, how far behind the reader is, and, at the end of a closed shard, its children. The caller adds
 * its own continuation ({@code NextShardIterator}, {@code ContinuationSequenceNumber}: null at the end of a closed
 * shard) between {@link #writeRecords} and {@code MillisBehindLatest}. The members it writes:
 *
 * <pre>
 *  "Records": [ {
 *      "SequenceNumber": "4962...",          56 digits, see {@link SequenceNumbers}
 *      "ApproximateArrivalTimestamp": ...,   when the log accepted it (encoded by WireWriter#timestampMs)
 *      "Data": "...",                        the payload (base64 in JSON)
 *      "PartitionKey": "...",                absent when the record was written without one (AUTO distribution)
 *      "EncryptionType": "KMS"               absent for a record stored plain (without a key file: when the
 *                                            stream's is NONE)
 *  }, ... ],
 *  "ChildShards": [ {                        only at the end of a closed shard
 *      "ShardId": "shardId-000000000004",
 *      "ParentShards": [ "shardId-000000000001", "shardId-000000000002" ],   one, or two after a merge
 *      "HashKeyRange": { "StartingHashKey": "0", "EndingHashKey": "..." }    decimal
 *  }, ... ]
 * </pre>
 *
 * <p>Immutable once read; not meant to be shared between threads (it is one answer's).
 */
public final class RecordPage {
    private static final WireWriter.Name SEQUENCE_NUMBER = WireWriter.Name.of("SequenceNumber");
    private static final WireWriter.Name ARRIVAL = WireWriter.Name.of("ApproximateArrivalTimestamp");
    private static final WireWriter.Name DATA = WireWriter.Name.of("Data");
    private static final WireWriter.Name PARTITION_KEY = WireWriter.Name.of("PartitionKey");
    private static final WireWriter.Name ENCRYPTION_TYPE = WireWriter.Name.of("EncryptionType");
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080_8080_8080_8080L;

    private final StreamRecord stream;
    private final ShardRecord shard;
    private final ReadResult result;

    private RecordPage(StreamRecord stream, ShardRecord shard, ReadResult result) {
        this.stream = stream;
        this.shard = shard;
        this.result = result;
    }

    /** Reads at most {@code maxRecords} records and, beyond the first, {@code maxBytes} from {@code fromPosition}. */
    public static RecordPage read(ShardLog log, StreamRecord stream, ShardRecord shard, long fromPosition,
                                  int maxRecords, long maxBytes) {
        return new RecordPage(stream, shard, log.read(fromPosition, maxRecords, maxBytes));
    }

    public List<StoredRecord> records() {
        return result.records();
    }

    /** Where the next read starts: one past the last record read, or past what expired. */
    public long nextPosition() {
        return result.nextPosition();
    }

    /** Whether the read reached the end of what the log held. */
    public boolean atEnd() {
        return result.atEnd();
    }

    /** Whether nothing follows: the shard is closed and the read reached its end; then there is no continuation. */
    public boolean shardEnded() {
        return shard.ended() && result.nextPosition() >= shard.endingPosition();
    }

    /** What the records count for against read throughput: their data and partition keys. */
    public long sizeBytes() {
        long total = 0;
        for (StoredRecord r : result.records()) {
            total += r.dataLength();
            if (r.hasPartitionKey()) {
                total += utf16Length(r.keyArray(), r.keyOffset(), r.keyLength());
            }
        }
        return total;
    }

    /**
     * The length in chars of the String that {@code length} bytes of valid UTF-8 decode to (what {@code
     * partitionKey().length()} says, without decoding it): one per byte that starts a character, two for a
     * character beyond the BMP (a 4-byte sequence, a surrogate pair). Most keys are ASCII, so the bytes are first
     * taken eight at a time, read as one long: no high bit set in it, eight chars.
     */
    static int utf16Length(byte[] utf8, int offset, int length) {
        int end = offset + length;
        int i = offset;
        int chars = 0;
        for (; i + Long.BYTES <= end && ((long) LONGS.get(utf8, i) & HIGH_BITS) == 0; i += Long.BYTES) {
            chars += Long.BYTES;
        }
        for (; i < end; i++) {
            int b = utf8[i] & 0xFF;
            if ((b & 0xC0) != 0x80) {
                chars += (b & 0xF8) == 0xF0 ? 2 : 1;
            }
        }
        return chars;
    }

    /** How far the last record read is behind {@code nowMs}; 0 when the read caught up or found nothing. */
    public long millisBehindLatest(long nowMs) {
        List<StoredRecord> records = result.records();
        return result.atEnd() || records.isEmpty() ? 0
                : Math.max(0, nowMs - records.get(records.size() - 1).arrivalMs());
    }

    /**
     * How old the last record read is at {@code nowMs}, as CloudWatch's IteratorAgeMilliseconds counts it; 0 when
     * the read found none. Unlike {@link #millisBehindLatest}, a read that caught up still reports its last record's
     * age.
     */
    public long iteratorAgeMs(long nowMs) {
        List<StoredRecord> records = result.records();
        return records.isEmpty() ? 0 : Math.max(0, nowMs - records.get(records.size() - 1).arrivalMs());
    }

    /**
     * Writes the {@code Records} member. {@code atRest}: whether encryption is applied at rest ({@link
     * StreamKeys#atRest}): then each record reports how it was stored; else each reports the stream's encryption.
     */
    public void writeRecords(WireWriter out, boolean atRest) {
        out.startArray("Records");
        SequenceNumbers.Numberer numbers = SequenceNumbers.numberer(shard);
        String streamType = "NONE".equals(stream.encryptionType()) ? null : stream.encryptionType();
        for (StoredRecord r : result.records()) {
            // Bytes as stored go straight into the output: the number's digits, the key's UTF-8, the data's slice.
            byte[] number = numbers.digits(r.position(), r.arrivalMs());
            out.startObject()
                    .utf8String(SEQUENCE_NUMBER, number, 0, number.length)
                    .timestampMs(ARRIVAL, r.arrivalMs());
            if (r.dataArray() != null) {
                out.blob(DATA, r.dataArray(), r.dataOffset(), r.dataLength());
            }
            if (r.hasPartitionKey()) {
                out.utf8String(PARTITION_KEY, r.keyArray(), r.keyOffset(), r.keyLength());
            }
            out.string(ENCRYPTION_TYPE, atRest ? (r.encrypted() ? "KMS" : null) : streamType).endObject();
        }
        out.endArray();
    }

    /** Writes the {@code ChildShards} member: the shards this one was split or merged into. */
    public void writeChildShards(WireWriter out) {
        out.startArray("ChildShards");
        for (ShardRecord child : stream.shards()) {
            if (child.parentIndex() != shard.index() && child.adjacentParentIndex() != shard.index()) {
                continue;
            }
            out.startObject().string("ShardId", child.shardId()).startArray("ParentShards");
            out.string(ShardRecord.shardId(child.parentIndex()));
            if (child.adjacentParentIndex() >= 0) {
                out.string(ShardRecord.shardId(child.adjacentParentIndex()));
            }
            out.endArray().startObject("HashKeyRange")
                    .string("StartingHashKey", child.startingHashKey().toString())
                    .string("EndingHashKey", child.endingHashKey().toString())
                    .endObject().endObject();
        }
        out.endArray();
    }
}
