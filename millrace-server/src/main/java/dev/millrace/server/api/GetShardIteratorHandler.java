package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamStatus;
import dev.millrace.server.state.Throttles;
import dev.millrace.storage.ShardLog;

import java.time.Instant;

/**
 * GetShardIterator: where to start reading a shard, for all five iterator types.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
 *
 * <p>Thread-safe.
 */
final class GetShardIteratorHandler implements OperationHandler {
    private final ApiServices services;

    GetShardIteratorHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        StreamRecord s = services.streams().get(name);
        if (s.status() != StreamStatus.ACTIVE && s.status() != StreamStatus.UPDATING) {
            throw services.streams().notFound(name);
        }
        ShardRecord shard = ShardLookup.shard(services.streams(), s, request.string("ShardId"));
        if (!services.throttles().shard(s, shard).tryIterator()) {
            throw Throttles.shardRateExceeded(services.streams(), s, shard);
        }
        long position = position(request, s, shard);
        out.string("ShardIterator", services.iterators().issue(s.name(), s.epochMs(), shard.index(), position));
    }

    private long position(Struct request, StreamRecord s, ShardRecord shard) {
        ShardLog log = services.streams().log(s, shard);
        String type = request.string("ShardIteratorType");
        switch (type) {
            case "TRIM_HORIZON":
                return Math.max(shard.startingPosition(), log.startPosition());
            case "LATEST":
                return shard.ended() ? shard.endingPosition() : log.endPosition();
            case "AT_SEQUENCE_NUMBER":
                return sequencePosition(request, s, shard);
            case "AFTER_SEQUENCE_NUMBER":
                return sequencePosition(request, s, shard) + 1;
            case "AT_TIMESTAMP":
                Instant timestamp = request.timestamp("Timestamp");
                if (timestamp == null) {
                    throw KinesisException.invalidArgument(
                            "Must specify timestamp if ShardIteratorType is AT_TIMESTAMP.");
                }
                long now = services.streams().clock().millis();
                if (timestamp.toEpochMilli() > now) {
                    throw KinesisException.invalidArgument("The timestampInMillis parameter cannot be greater than "
                            + "the currentTimestampInMillis. timestampInMillis: " + timestamp.toEpochMilli()
                            + ", currentTimestampInMillis: " + now);
                }
                return log.positionAtOrAfter(timestamp.toEpochMilli());
            default:
                throw new IllegalStateException("validated enum value " + type);
        }
    }

    private long sequencePosition(Struct request, StreamRecord s, ShardRecord shard) {
        String sequenceNumber = request.string("StartingSequenceNumber");
        if (sequenceNumber == null) {
            throw KinesisException.invalidArgument("Must specify StartingSequenceNumber if ShardIteratorType is "
                    + request.string("ShardIteratorType") + ".");
        }
        SequenceNumbers.Parts parts = SequenceNumbers.parse(sequenceNumber);
        if (parts == null || parts.streamEpochMs() != s.epochMs()) {
            throw KinesisException.invalidArgument("StartingSequenceNumber " + sequenceNumber
                    + " used in GetShardIterator on shard " + shard.shardId() + " in stream " + s.name()
                    + " under account " + services.streams().account().id() + " is invalid.");
        }
        if (parts.shardIndex() != shard.index()) {
            throw KinesisException.invalidArgument("Invalid StartingSequenceNumber. It encodes "
                    + ShardRecord.shardId(parts.shardIndex()) + ", while it was used in a call to a shard with "
                    + shard.shardId());
        }
        return parts.position();
    }
}
