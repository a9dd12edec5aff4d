package dev.millrace.cli;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.HashKeyRange;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.SequenceNumberRange;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * An in-memory Kinesis for the tail and put tests: shards with parents and records, ListShards, GetShardIterator
 * (TRIM_HORIZON, LATEST, AT_TIMESTAMP, AFTER_SEQUENCE_NUMBER), GetRecords in pages of {@link #pageSize} with
 * MillisBehindLatest and ChildShards at the end of a closed shard, and PutRecords whose entries a test may fail.
 * {@link #onGetRecords} runs before every GetRecords: a test writes "after the start" there.
 *
 * <p>Thread-safe: synchronized.
 */
class FakeKinesis implements KinesisClient {
    static final class FakeShard {
        final String id;
        final List<String> parents;
        final List<Record> records = new ArrayList<>();
        boolean closed;

        FakeShard(String id, List<String> parents) {
            this.id = id;
            this.parents = parents;
        }
    }

    final Map<String, FakeShard> shards = new LinkedHashMap<>();
    int pageSize = 2;
    Runnable onGetRecords = () -> { };
    /** Decides per PutRecords entry: null to accept, or an error code. */
    BiFunction<Integer, PutRecordsRequestEntry, String> putFailure = (call, entry) -> null;
    final List<PutRecordsRequestEntry> accepted = new ArrayList<>();
    int putCalls;
    private long nextSequence = 1000;

    synchronized FakeShard shard(String id, String... parents) {
        FakeShard s = new FakeShard(id, List.of(parents));
        shards.put(id, s);
        return s;
    }

    synchronized void write(String shardId, String partitionKey, byte[] data) {
        shards.get(shardId).records.add(Record.builder().sequenceNumber(Long.toString(nextSequence++))
                .partitionKey(partitionKey).data(SdkBytes.fromByteArray(data))
                .approximateArrivalTimestamp(Instant.parse("2026-12-06T14:00:00Z")).build());
    }

    void write(String shardId, String text) {
        write(shardId, "key-" + text, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public synchronized ListShardsResponse listShards(ListShardsRequest request) {
        List<Shard> list = new ArrayList<>();
        for (FakeShard s : shards.values()) {
            list.add(Shard.builder().shardId(s.id)
                    .parentShardId(s.parents.isEmpty() ? null : s.parents.get(0))
                    .adjacentParentShardId(s.parents.size() > 1 ? s.parents.get(1) : null)
                    .hashKeyRange(HashKeyRange.builder().startingHashKey("0").endingHashKey("1").build())
                    .sequenceNumberRange(SequenceNumberRange.builder().startingSequenceNumber("0")
                            .endingSequenceNumber(s.closed ? "999999999" : null).build())
                    .build());
        }
        return ListShardsResponse.builder().shards(list).build();
    }

    @Override
    public synchronized GetShardIteratorResponse getShardIterator(GetShardIteratorRequest r) {
        FakeShard s = shards.get(r.shardId());
        int position = switch (r.shardIteratorType()) {
            case TRIM_HORIZON -> 0;
            case LATEST -> s.records.size();
            case AT_TIMESTAMP -> (int) s.records.stream()
                    .filter(rec -> rec.approximateArrivalTimestamp().isBefore(r.timestamp())).count();
            case AFTER_SEQUENCE_NUMBER -> indexOf(s, r.startingSequenceNumber()) + 1;
            default -> throw new IllegalArgumentException(r.shardIteratorTypeAsString());
        };
        return GetShardIteratorResponse.builder().shardIterator(s.id + "/" + position).build();
    }

    private static int indexOf(FakeShard s, String sequenceNumber) {
        for (int i = 0; i < s.records.size(); i++) {
            if (s.records.get(i).sequenceNumber().equals(sequenceNumber)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no record " + sequenceNumber);
    }

    @Override
    public GetRecordsResponse getRecords(GetRecordsRequest r) {
        onGetRecords.run();
        synchronized (this) {
            String[] it = r.shardIterator().split("/");
            FakeShard s = shards.get(it[0]);
            int from = Integer.parseInt(it[1]);
            int to = Math.min(s.records.size(), from + Math.min(pageSize, r.limit() == null ? 10_000 : r.limit()));
            List<Record> page = new ArrayList<>(s.records.subList(from, to));
            boolean atEnd = to == s.records.size();
            GetRecordsResponse.Builder b = GetRecordsResponse.builder().records(page)
                    .millisBehindLatest(atEnd ? 0L : 1000L);
            if (atEnd && s.closed) {
                List<ChildShard> children = new ArrayList<>();
                for (FakeShard c : shards.values()) {
                    if (c.parents.contains(s.id)) {
                        children.add(ChildShard.builder().shardId(c.id).parentShards(c.parents)
                                .hashKeyRange(HashKeyRange.builder().startingHashKey("0").endingHashKey("1").build())
                                .build());
                    }
                }
                return b.nextShardIterator(null).childShards(children).build();
            }
            return b.nextShardIterator(s.id + "/" + to).build();
        }
    }

    @Override
    public synchronized PutRecordsResponse putRecords(PutRecordsRequest request) {
        int call = ++putCalls;
        List<PutRecordsResultEntry> results = new ArrayList<>();
        int failed = 0;
        for (PutRecordsRequestEntry e : request.records()) {
            String error = putFailure.apply(call, e);
            if (error == null) {
                accepted.add(e);
                results.add(PutRecordsResultEntry.builder().shardId("shardId-000000000000")
                        .sequenceNumber(Long.toString(nextSequence++)).build());
            } else {
                failed++;
                results.add(PutRecordsResultEntry.builder().errorCode(error).errorMessage("failed on purpose")
                        .build());
            }
        }
        return PutRecordsResponse.builder().records(results).failedRecordCount(failed).build();
    }

    static BigInteger sequence(Record r) {
        return new BigInteger(r.sequenceNumber());
    }

    @Override
    public String serviceName() {
        return "kinesis";
    }

    @Override
    public void close() {
    }
}
