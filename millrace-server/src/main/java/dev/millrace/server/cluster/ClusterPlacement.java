package dev.millrace.server.cluster;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.records.RemoteAppend;
import dev.millrace.server.records.ShardPlacement;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.Cluster;
import dev.millrace.storage.StorageException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The data plane of a cluster: each shard's records are appended and read on its owner ({@link ShardOwners}), which
 * counts the shard's limits (1 MiB/s and 1,000 records/s in, 5 reads/s and 2 MiB/s out), so they hold whichever node
 * the calls reach, and is the shard's only appender in steady state.
 * <ul>
 *   <li>Appends (PutRecord, PutRecords): {@link RecordWriter} groups a call's entries by shard and sends the groups
 *       of shards owned elsewhere to their owners ({@link #appendAt}, {@link RemoteAppend}), side by side with the
 *       local ones; the owner meters, throttles and appends them ({@link #appendHere}).</li>
 *   <li>GetRecords: the whole call goes to the owner of its iterator's shard ({@link #elsewhere}), which answers it as
 *       its own client's; the answer is relayed byte for byte.</li>
 * </ul>
 * An owner that cannot be reached (it died; the others drop it from the live set within seconds) fails that shard's
 * entries with a retryable InternalFailure, or the GetRecords call with a retryable 503: nothing is acknowledged that
 * was not appended.
 *
 * <p>Thread-safe.
 */
public final class ClusterPlacement implements ShardPlacement, KinesisApi.Placement {
    private final ClusterCalls calls;
    private final ShardOwners owners;
    private final ShardIterators iterators;

    public ClusterPlacement(ClusterCalls calls, ShardOwners owners, ShardIterators iterators) {
        this.calls = calls;
        this.owners = owners;
        this.iterators = iterators;
    }

    @Override
    public Cluster.Node remoteOwner(String region, StreamRecord s, ShardRecord shard) {
        Cluster.Node owner = owners.ownerOf(region, s.name(), s.epochMs(), shard.index());
        return owners.isSelf(owner) ? null : owner;
    }

    @Override
    public List<RecordWriter.Outcome> appendAt(Cluster.Node owner, String region, StreamRecord s, ShardRecord shard,
                                               List<RecordWriter.Entry> entries) {
        String why;
        try {
            byte[] reply = calls.append(owner, region, RemoteAppend.encodeRequest(region, s, shard.index(), entries));
            return RemoteAppend.decodeReply(reply, shard.shardId(), entries.size());
        } catch (NodeUnavailableException e) {
            why = e.getMessage();
        } catch (IllegalArgumentException e) {
            why = "node " + owner.id() + " answered the append with a reply that does not parse: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted while node " + owner.id() + " appended";
        }
        RecordWriter.Outcome failed = new RecordWriter.Failed(shard.shardId(), new StorageException(why));
        return Collections.nCopies(entries.size(), failed);
    }

    /**
     * The owner's side of {@link #appendAt}: appends the entries another node sent to the shard they name, as this
     * node's view of the stream has it, and returns the reply. A stream or shard this node does not know (its view
     * lags, or the stream was deleted) fails every entry, retryably.
     *
     * @throws IllegalArgumentException if the request does not parse
     */
    public static byte[] appendHere(ApiServices services, byte[] request) {
        RemoteAppend.Request r = RemoteAppend.decodeRequest(request);
        Optional<StreamRecord> found = services.streams().find(r.stream());
        ShardRecord shard = found.isPresent() && found.get().epochMs() == r.streamEpochMs()
                ? found.get().shard(r.shardIndex()) : null;
        if (shard == null) {
            RecordWriter.Outcome failed = new RecordWriter.Failed(ShardRecord.shardId(r.shardIndex()),
                    new StorageException("shard " + ShardRecord.shardId(r.shardIndex()) + " of stream " + r.stream()
                            + " is not known to its owner yet"));
            return RemoteAppend.encodeReply("NONE", Collections.nCopies(r.entries().size(), failed));
        }
        StreamRecord s = found.get();
        List<RecordWriter.Entry> entries = new ArrayList<>(r.entries().size());
        for (RemoteAppend.Raw raw : r.entries()) {
            entries.add(RecordWriter.Entry.of(s, raw.partitionKey(), raw.explicitHashKey(), raw.data()));
        }
        RecordWriter writer = new RecordWriter(services.streams(), services.autoScaler(), services.throttles(),
                services.appends());
        return RemoteAppend.encodeReply(s.encryptionType(), writer.writeOwned(s, shard, entries));
    }

    @Override
    public KinesisApi.Result elsewhere(String target, String operation, Struct request, WireFormat format,
                                       byte[] body, String requestId, String region) {
        if (!"GetRecords".equals(operation)) {
            return null;
        }
        ShardIterators.Position at;
        try {
            at = iterators.parse(request.string("ShardIterator"));
        } catch (KinesisException e) {
            return null; // answered here, as on any node
        }
        Cluster.Node owner = owners.ownerOf(region, at.streamName(), at.streamEpochMs(), at.shardIndex());
        if (owners.isSelf(owner)) {
            return null;
        }
        try {
            ClusterCalls.Answer a = calls.forwardTo(owner, new ClusterCalls.Call(ClusterCalls.Service.KINESIS_HERE,
                    "/", target, format.contentType(), region, requestId, body));
            return new KinesisApi.Result(a.status(), a.body(), a.headers().get("x-amzn-ErrorType"));
        } catch (NodeUnavailableException e) {
            return KinesisApi.error(format, new KinesisException("ServiceUnavailableException", e.getMessage(), 503));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return KinesisApi.error(format, new KinesisException("ServiceUnavailableException",
                    "The server is shutting down.", 503));
        }
    }
}
