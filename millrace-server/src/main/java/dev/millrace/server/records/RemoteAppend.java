package dev.millrace.server.records;

import static dev.millrace.server.records.BinaryCodec.read;
import static dev.millrace.server.records.BinaryCodec.str;
import static dev.millrace.server.records.BinaryCodec.write;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The appends a node asks of another node of a cluster ({@link ShardPlacement}): the entries of one PutRecord or
 * PutRecords call for the shards that node owns, one group per shard, and the owner's outcome for each entry. One
 * call per owner, however many of its shards a call touches. Only this class reads or writes these bytes.
 *
 * <pre>
 *  request  = | format 3 | account: str16 | region: str16 | stream: str16 | streamEpochMs: i64 | groups: i32 | group * groups |
 *  group    = | shardIndex: i32 | count: i32 | entry * count |
 *  entry    = | partitionKey: str16 | hasExplicitHashKey: u8 (0 or 1) | [explicitHashKey: str16] | dataLength: i32 | data |
 *
 *  reply    = | format 3 | encryptionType: str16 | groups: i32 | (count: i32 | outcome * count) * groups |
 *  outcome  = | kind: u8 | ... |    kind 0 written:   shardId: str16, sequenceNumber: str16
 *                                   kind 1 throttled: message: str16   (ProvisionedThroughputExceededException)
 *                                   kind 2 failed:    message: str16   (a storage failure on the owner; retryable)
 *                                   kind 3 sealed:    (nothing)        (the shard was sealed: route again)
 *
 *  str16 = u16 big-endian length, then that many bytes of UTF-8; integers big-endian; nothing may follow
 * </pre>
 *
 * A request holds at most {@link #MAX_ENTRIES} entries in all (PutRecords' 500); its size is bounded by the HTTP body
 * limit of the internal route. Bytes that do not parse, or another format (a node of another version), are an
 * {@link IllegalArgumentException}: nodes of one cluster run one version.
 *
 * <p>Stateless; thread-safe.
 */
public final class RemoteAppend {
    static final byte FORMAT = 3;
    static final int MAX_ENTRIES = 500;
    private static final byte WRITTEN = 0;
    private static final byte THROTTLED = 1;
    private static final byte FAILED = 2;
    private static final byte SEALED = 3;

    /** An append request, decoded. */
    public record Request(Account scope, String stream, long streamEpochMs, List<Group> groups) {
    }

    /** One shard's entries. */
    public record Group(int shardIndex, List<Raw> entries) {
    }

    /** One entry as sent: the owner computes its hash key and size again from its view of the stream. */
    public record Raw(String partitionKey, String explicitHashKey, byte[] data) {
    }

    private RemoteAppend() {
    }

    public static byte[] encodeRequest(Account scope, StreamRecord s, List<ShardPlacement.Group> groups) {
        return encodeRequest(scope, s.name(), s.epochMs(), groups.stream()
                .map(g -> Map.entry(g.shard().index(), g.entries())).toList());
    }

    static byte[] encodeRequest(Account scope, String stream, long streamEpochMs,
                                List<Map.Entry<Integer, List<RecordWriter.Entry>>> groups) {
        return write(out -> {
            out.writeByte(FORMAT);
            str(out, scope.id());
            str(out, scope.region());
            str(out, stream);
            out.writeLong(streamEpochMs);
            out.writeInt(groups.size());
            for (Map.Entry<Integer, List<RecordWriter.Entry>> g : groups) {
                out.writeInt(g.getKey());
                out.writeInt(g.getValue().size());
                for (RecordWriter.Entry e : g.getValue()) {
                    str(out, e.partitionKey());
                    out.writeByte(e.explicitHashKey() == null ? 0 : 1);
                    if (e.explicitHashKey() != null) {
                        str(out, e.explicitHashKey());
                    }
                    AppendRecord r = e.record();
                    out.writeInt(r.dataLength());
                    out.write(r.dataArray(), r.dataOffset(), r.dataLength());
                }
            }
        });
    }

    public static Request decodeRequest(byte[] bytes) {
        return read(bytes, in -> {
            BinaryCodec.format(in, FORMAT);
            String accountId = str(in);
            String region = str(in);
            Account scope;
            try {
                scope = new Account(region, accountId);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad account or region: " + e.getMessage());
            }
            String stream = str(in);
            long epochMs = in.getLong();
            int groupCount = in.getInt();
            if (groupCount < 1 || groupCount > MAX_ENTRIES) {
                throw new IllegalArgumentException("an append holds 1 to " + MAX_ENTRIES + " groups, not "
                        + groupCount);
            }
            List<Group> groups = new ArrayList<>(groupCount);
            int total = 0;
            for (int g = 0; g < groupCount; g++) {
                int shardIndex = in.getInt();
                int count = in.getInt();
                total += count;
                if (count < 1 || total > MAX_ENTRIES) {
                    throw new IllegalArgumentException("an append holds 1 to " + MAX_ENTRIES + " entries");
                }
                List<Raw> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    entries.add(entry(in));
                }
                groups.add(new Group(shardIndex, entries));
            }
            return new Request(scope, stream, epochMs, groups);
        });
    }

    private static Raw entry(ByteBuffer in) {
        String partitionKey = str(in);
        byte flag = in.get();
        if (flag != 0 && flag != 1) {
            throw new IllegalArgumentException("bad explicit hash key flag " + flag);
        }
        String explicit = flag == 1 ? str(in) : null;
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("bad data length " + length);
        }
        byte[] data = new byte[length];
        in.get(data);
        return new Raw(partitionKey, explicit, data);
    }

    public static byte[] encodeReply(String encryptionType, List<List<RecordWriter.Outcome>> groups) {
        return write(out -> {
            out.writeByte(FORMAT);
            str(out, encryptionType);
            out.writeInt(groups.size());
            for (List<RecordWriter.Outcome> outcomes : groups) {
                out.writeInt(outcomes.size());
                for (RecordWriter.Outcome o : outcomes) {
                    outcome(out, o);
                }
            }
        });
    }

    private static void outcome(DataOutputStream out, RecordWriter.Outcome o) throws IOException {
        if (o instanceof RecordWriter.Written w) {
            out.writeByte(WRITTEN);
            str(out, w.shardId());
            str(out, w.sequenceNumber());
        } else if (o instanceof RecordWriter.Throttled t) {
            out.writeByte(THROTTLED);
            str(out, t.error().getMessage());
        } else {
            RecordWriter.Failed f = (RecordWriter.Failed) o;
            if (f.error() instanceof ShardSealedException) {
                out.writeByte(SEALED);
            } else {
                out.writeByte(FAILED);
                str(out, String.valueOf(f.error().getMessage()));
            }
        }
    }

    /**
     * The outcomes a reply holds, group by group, as the asking node reports them; {@code shardIds} name the groups'
     * shards (in failures) and {@code sizes} how many entries each group had.
     *
     * @throws IllegalArgumentException if the bytes do not parse or hold other numbers of outcomes than asked
     */
    public static List<List<RecordWriter.Outcome>> decodeReply(byte[] bytes, List<String> shardIds,
                                                               List<Integer> sizes) {
        return read(bytes, in -> {
            BinaryCodec.format(in, FORMAT);
            String encryptionType = str(in);
            int groupCount = in.getInt();
            if (groupCount != shardIds.size()) {
                throw new IllegalArgumentException("the owner answered " + groupCount + " groups for "
                        + shardIds.size());
            }
            List<List<RecordWriter.Outcome>> groups = new ArrayList<>(groupCount);
            for (int g = 0; g < groupCount; g++) {
                int count = in.getInt();
                if (count != sizes.get(g)) {
                    throw new IllegalArgumentException("the owner answered " + count + " outcomes for "
                            + sizes.get(g) + " entries");
                }
                List<RecordWriter.Outcome> outcomes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    outcomes.add(outcome(in, shardIds.get(g), encryptionType));
                }
                groups.add(outcomes);
            }
            return groups;
        });
    }

    private static RecordWriter.Outcome outcome(ByteBuffer in, String shardId, String encryptionType) {
        byte kind = in.get();
        return switch (kind) {
            case WRITTEN -> new RecordWriter.Written(str(in), str(in), encryptionType);
            case THROTTLED -> new RecordWriter.Throttled(KinesisException.client(
                    "ProvisionedThroughputExceededException", str(in)));
            case FAILED -> new RecordWriter.Failed(shardId, new StorageException(
                    "the shard's owner failed the append: " + str(in)));
            case SEALED -> new RecordWriter.Failed(shardId, new ShardSealedException(shardId));
            default -> throw new IllegalArgumentException("unknown outcome kind " + kind);
        };
    }
}
