package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.ShardLog;

import java.time.Instant;

/**
 * Turns an iterator type (TRIM_HORIZON, LATEST, AT/AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP) into a storage position;
 * shared by GetShardIterator and SubscribeToShard's {@code StartingPosition}.
 *
 * <p>Stateless, thread-safe.
 */
final class StartingPositions {
    private StartingPositions() {
    }

    static long resolve(ApiServices services, StreamRecord s, ShardRecord shard, String type, String sequenceNumber,
                        Instant timestamp, String operation) {
        ShardLog log = services.streams().log(s, shard);
        switch (type) {
            case "TRIM_HORIZON":
                return Math.max(shard.startingPosition(), log.startPosition());
            case "LATEST":
                return shard.ended() ? shard.endingPosition() : log.endPosition();
            case "AT_SEQUENCE_NUMBER":
                return Math.max(0, sequencePosition(services, s, shard, type, sequenceNumber, operation));
            case "AFTER_SEQUENCE_NUMBER":
                return sequencePosition(services, s, shard, type, sequenceNumber, operation) + 1;
            case "AT_TIMESTAMP":
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

    private static long sequencePosition(ApiServices services, StreamRecord s, ShardRecord shard, String type,
                                         String sequenceNumber, String operation) {
        if (sequenceNumber == null) {
            throw KinesisException.invalidArgument("Must specify StartingSequenceNumber if ShardIteratorType is "
                    + type + ".");
        }
        SequenceNumbers.Parts parts = SequenceNumbers.parse(sequenceNumber);
        if (parts == null || parts.streamEpochMs() != s.epochMs()) {
            throw KinesisException.invalidArgument("StartingSequenceNumber " + sequenceNumber + " used in "
                    + operation + " on shard " + shard.shardId() + " in stream " + s.name() + " under account "
                    + services.streams().account().id() + " is invalid.");
        }
        if (parts.shardIndex() != shard.index()) {
            throw KinesisException.invalidArgument("Invalid StartingSequenceNumber. It encodes "
                    + ShardRecord.shardId(parts.shardIndex()) + ", while it was used in a call to a shard with "
                    + shard.shardId());
        }
        return parts.position();
    }
}
