package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;

import java.time.Instant;
import java.util.List;

/**
 * DescribeStream: the stream and a page of its shards ({@code Limit}, default 100; a larger limit still gives at most
 * 100, as the API reference says), after {@code ExclusiveStartShardId}.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStream.html
 *
 * <p>Thread-safe.
 */
final class DescribeStreamHandler implements OperationHandler {
    static final int LIMIT_DEFAULT = 100;
    static final int LIMIT_MAX = 100;

    private final ApiServices services;

    DescribeStreamHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        StreamRecord s = services.streams().get(StreamRefs.name(request, services.streams().account()));
        int limit = Math.min(LIMIT_MAX, request.integer("Limit") == null ? LIMIT_DEFAULT : request.integer("Limit"));
        String after = request.string("ExclusiveStartShardId");
        int afterIndex = -1;
        if (after != null) {
            afterIndex = ShardRecord.parseShardId(after);
            if (afterIndex < 0) {
                throw KinesisException.invalidArgument("Invalid ExclusiveStartShardId: " + after);
            }
        }
        final int from = afterIndex;
        List<ShardRecord> page = s.shards().stream().filter(sh -> sh.index() > from).toList();
        boolean more = page.size() > limit;
        out.startObject("StreamDescription")
                .string("StreamName", s.name())
                .string("StreamARN", services.streams().arn(s.name()))
                .string("StreamStatus", s.status().name());
        ShardOutput.streamMode(out, s);
        out.startArray("Shards");
        for (ShardRecord shard : page.subList(0, Math.min(limit, page.size()))) {
            ShardOutput.write(out, s, shard);
        }
        out.endArray()
                .bool("HasMoreShards", more)
                .number("RetentionPeriodHours", s.retentionHours())
                .timestamp("StreamCreationTimestamp", Instant.ofEpochMilli(s.epochMs()));
        ShardOutput.enhancedMonitoring(out, s);
        out.string("EncryptionType", s.encryptionType()).string("KeyId", s.keyId()).endObject();
    }
}
