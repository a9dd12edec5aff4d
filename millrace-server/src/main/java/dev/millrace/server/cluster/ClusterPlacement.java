package dev.millrace.server.cluster;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.records.RemoteAppend;
import dev.millrace.server.records.ShardPlacement;
import dev.millrace.server.records.ShardPlacement.Group;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.Cluster;
import dev.millrace.storage.FailureLog;
import dev.millrace.storage.StorageException;

import java.time.Clock;
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
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClusterPlacement.class);
    private static final long LOG_INTERVAL_MS = 10_000;

    private final ClusterCalls calls;
    private final ShardOwners owners;
    private final ShardIterators iterators;
    /** An owner that died fails every append to its shards until the others drop it: logged once per interval. */
    private final FailureLog failures;

    public ClusterPlacement(ClusterCalls calls, ShardOwners owners, ShardIterators iterators, Clock clock) {
        this.calls = calls;
        this.owners = owners;
        this.iterators = iterators;
        this.failures = new FailureLog(log, "Appends to the shards' owners", clock, LOG_INTERVAL_MS);
    }

    @Override
    public Cluster.Node remoteOwner(Account scope, StreamRecord s, ShardRecord shard) {
        Cluster.Node owner = owners.ownerOf(scope, s.name(), s.epochMs(), shard.index());
        return owners.isSelf(owner) ? null : owner;
    }

    @Override
    public List<List<RecordWriter.Outcome>> appendAt(Cluster.Node owner, Account scope, StreamRecord s,
                                                     List<Group> groups) {
        List<String> shardIds = groups.stream().map(g -> g.shard().shardId()).toList();
        List<Integer> sizes = groups.stream().map(g -> g.entries().size()).toList();
        RuntimeException problem;
        try {
            byte[] reply = calls.append(owner, scope, RemoteAppend.encodeRequest(scope, s, groups));
            List<List<RecordWriter.Outcome>> outcomes = RemoteAppend.decodeReply(reply, shardIds, sizes);
            failures.healed("appends reach the shards' owners again");
            return outcomes;
        } catch (NodeUnavailableException e) {
            problem = e;
        } catch (IllegalArgumentException e) {
            problem = new IllegalStateException("node " + owner.id() + " answered an append with a reply that does"
                    + " not parse: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = new IllegalStateException("interrupted while node " + owner.id() + " appended", e);
        }
        failures.failure("to node " + owner.id(), problem);
        // Reported here, rate-limited: the handler does not log each entry's failure again.
        StorageException failure = new StorageException(problem.getMessage(), problem, true);
        List<List<RecordWriter.Outcome>> failed = new ArrayList<>(groups.size());
        for (Group g : groups) {
            failed.add(Collections.nCopies(g.entries().size(), new RecordWriter.Failed(g.shard().shardId(),
                    failure)));
        }
        return failed;
    }

    /**
     * The owner's side of {@link #appendAt}: appends each group another node sent to the shard it names, as this
     * node's view of the stream has it, the groups side by side (as a call's local groups are), and returns the
     * reply. A stream or shard this node does not know (its view lags, or the stream was deleted) fails that group's
     * entries, retryably.
     *
     * @throws IllegalArgumentException if the request does not parse
     */
    public static byte[] appendHere(ApiServices services, byte[] request) {
        RemoteAppend.Request r = RemoteAppend.decodeRequest(request);
        Optional<StreamRecord> found = services.streams().find(r.stream());
        StreamRecord s = found.filter(x -> x.epochMs() == r.streamEpochMs()).orElse(null);
        RecordWriter writer = new RecordWriter(services.streams(), services.autoScaler(), services.throttles(),
                services.appends(), ShardPlacement.LOCAL, services.keys(), services.metrics());
        List<java.util.concurrent.CompletableFuture<List<RecordWriter.Outcome>>> results = new ArrayList<>();
        for (RemoteAppend.Group g : r.groups()) {
            ShardRecord shard = s == null ? null : s.shard(g.shardIndex());
            if (shard == null) {
                RecordWriter.Outcome failed = new RecordWriter.Failed(ShardRecord.shardId(g.shardIndex()),
                        new StorageException("shard " + ShardRecord.shardId(g.shardIndex()) + " of stream "
                                + r.stream() + " is not known to its owner yet"));
                results.add(java.util.concurrent.CompletableFuture.completedFuture(
                        Collections.nCopies(g.entries().size(), failed)));
                continue;
            }
            List<RecordWriter.Entry> entries = new ArrayList<>(g.entries().size());
            for (RemoteAppend.Raw raw : g.entries()) {
                entries.add(RecordWriter.Entry.of(s, raw.partitionKey(), raw.explicitHashKey(), raw.data()));
            }
            results.add(r.groups().size() == 1
                    ? java.util.concurrent.CompletableFuture.completedFuture(writer.writeOwned(s, shard, entries))
                    : java.util.concurrent.CompletableFuture.supplyAsync(() -> writer.writeOwned(s, shard, entries),
                            services.appends()));
        }
        List<List<RecordWriter.Outcome>> outcomes = results.stream()
                .map(java.util.concurrent.CompletableFuture::join).toList();
        return RemoteAppend.encodeReply(s == null ? "NONE" : s.encryptionType(), outcomes);
    }

    @Override
    public KinesisApi.Result elsewhere(String target, String operation, Struct request, WireFormat format,
                                       byte[] body, String requestId, Account scope) {
        if (!"GetRecords".equals(operation)) {
            return null;
        }
        ShardIterators.Position at;
        try {
            at = iterators.parse(request.string("ShardIterator"));
        } catch (KinesisException e) {
            return null; // answered here, as on any node
        }
        Cluster.Node owner = owners.ownerOf(scope, at.streamName(), at.streamEpochMs(), at.shardIndex());
        if (owners.isSelf(owner)) {
            return null;
        }
        try {
            ClusterCalls.Answer a = calls.forwardTo(owner, new ClusterCalls.Call(ClusterCalls.Service.KINESIS_HERE,
                    "/", target, format.contentType(), scope, requestId, body));
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
