package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * ListShards: a page of shards ({@code MaxResults}, default 1000), filtered by {@code ShardFilter} or
 * {@code ExclusiveStartShardId}, continued by a {@code NextToken} that carries the stream, the filter and the last
 * shard returned, and expires after 300 seconds.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListShards.html
 *
 * <p>Thread-safe.
 */
final class ListShardsHandler implements OperationHandler {
    static final int MAX_RESULTS_DEFAULT = 1000;
    static final long TOKEN_LIFETIME_MS = 300_000;

    private final ApiServices services;

    ListShardsHandler(ApiServices services) {
        this.services = services;
    }

    /** What a page is taken from; carried by the NextToken. */
    private record Query(String stream, long epochMs, String filterType, long filterTimestampMs, int afterIndex) {
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        Query q = request.has("NextToken") ? fromToken(request) : fromRequest(request);
        StreamRecord s = services.streams().get(q.stream());
        if (s.epochMs() != q.epochMs()) {
            throw services.streams().notFound(q.stream());
        }
        int max = request.integer("MaxResults") == null ? MAX_RESULTS_DEFAULT : request.integer("MaxResults");
        List<ShardRecord> matching = new ArrayList<>();
        long trimHorizonMs = Math.max(services.streams().clock().millis() - s.retentionHours() * 3_600_000L,
                s.epochMs());
        for (ShardRecord shard : s.shards()) {
            if (shard.index() > q.afterIndex() && matches(q, s, shard, trimHorizonMs)) {
                matching.add(shard);
            }
        }
        out.startArray("Shards");
        List<ShardRecord> page = matching.subList(0, Math.min(max, matching.size()));
        page.forEach(shard -> ShardOutput.write(out, s, shard));
        out.endArray();
        if (matching.size() > max) {
            Query next = new Query(q.stream(), q.epochMs(), q.filterType(), q.filterTimestampMs(),
                    page.get(page.size() - 1).index());
            out.string("NextToken", token(next));
        }
    }

    /**
     * The filters as the API reference defines them. Times before the stream existed count as its creation; a
     * FROM_TIMESTAMP before the trim horizon counts as the trim horizon.
     */
    private static boolean matches(Query q, StreamRecord s, ShardRecord shard, long trimHorizonMs) {
        switch (q.filterType()) {
            case "AT_LATEST":
                return shard.open();
            case "AT_TRIM_HORIZON":
                return openAt(shard, trimHorizonMs);
            case "AT_TIMESTAMP":
                return openAt(shard, Math.max(q.filterTimestampMs(), s.epochMs()));
            case "FROM_TIMESTAMP":
                return openSince(shard, Math.max(q.filterTimestampMs(), trimHorizonMs));
            default:
                // No filter, FROM_TRIM_HORIZON and AFTER_SHARD_ID (applied through afterIndex): trim to tip.
                return openSince(shard, trimHorizonMs);
        }
    }

    private static boolean openAt(ShardRecord shard, long timeMs) {
        return shard.createdMs() <= timeMs && openSince(shard, timeMs);
    }

    private static boolean openSince(ShardRecord shard, long timeMs) {
        return shard.open() || shard.closedMs() >= timeMs;
    }

    private Query fromRequest(Struct request) {
        String name = StreamRefs.name(request, services.streams().account());
        StreamRecord s = services.streams().get(name);
        Instant created = request.timestamp("StreamCreationTimestamp");
        if (created != null && created.toEpochMilli() != s.epochMs()) {
            throw services.streams().notFound(name);
        }
        int after = -1;
        if (request.has("ExclusiveStartShardId")) {
            after = parseShard(request.string("ExclusiveStartShardId"));
        }
        Struct filter = request.struct("ShardFilter");
        if (filter == null) {
            return new Query(name, s.epochMs(), "NONE", 0, after);
        }
        String type = filter.string("Type");
        Instant ts = filter.timestamp("Timestamp");
        boolean timed = type.equals("AT_TIMESTAMP") || type.equals("FROM_TIMESTAMP");
        if (timed != (ts != null)) {
            throw KinesisException.invalidArgument(timed ? "Timestamp must be specified for " + type + " ShardFilter."
                    : "Timestamp can only be specified for AT_TIMESTAMP or FROM_TIMESTAMP ShardFilter.");
        }
        if (type.equals("AFTER_SHARD_ID")) {
            if (!filter.has("ShardId")) {
                throw KinesisException.invalidArgument("ShardId must be specified for AFTER_SHARD_ID ShardFilter.");
            }
            after = Math.max(after, parseShard(filter.string("ShardId")));
        } else if (filter.has("ShardId")) {
            throw KinesisException.invalidArgument("ShardId can only be specified for AFTER_SHARD_ID ShardFilter.");
        }
        return new Query(name, s.epochMs(), type, ts == null ? 0 : ts.toEpochMilli(), after);
    }

    private static int parseShard(String shardId) {
        int index = ShardRecord.parseShardId(shardId);
        if (index < 0) {
            throw KinesisException.invalidArgument("Invalid ShardId: " + shardId);
        }
        return index;
    }

    private Query fromToken(Struct request) {
        if (request.has("StreamName") || request.has("StreamARN") || request.has("ExclusiveStartShardId")
                || request.has("ShardFilter") || request.has("StreamCreationTimestamp")) {
            throw KinesisException.invalidArgument("NextToken and StreamName cannot be provided together.");
        }
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Base64.getUrlDecoder().decode(request.string("NextToken")));
            long issuedMs = b.getLong();
            long epochMs = b.getLong();
            long filterTs = b.getLong();
            int after = b.getInt();
            String type = readString(b);
            String stream = readString(b);
            if (services.streams().clock().millis() - issuedMs > TOKEN_LIFETIME_MS) {
                throw KinesisException.expiredNextToken("The timestamp in NextToken has expired.");
            }
            return new Query(stream, epochMs, type, filterTs, after);
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
    }

    private String token(Query q) {
        byte[] type = q.filterType().getBytes(StandardCharsets.UTF_8);
        byte[] stream = q.stream().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(28 + 4 + type.length + stream.length);
        b.putLong(services.streams().clock().millis()).putLong(q.epochMs()).putLong(q.filterTimestampMs())
                .putInt(q.afterIndex()).putShort((short) type.length).put(type).putShort((short) stream.length)
                .put(stream);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    private static String readString(ByteBuffer b) {
        byte[] bytes = new byte[b.getShort()];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
