package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;

import java.time.Instant;

/**
 * Turns an iterator type (TRIM_HORIZON, LATEST, AT/AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP) into a storage position;
 * shared by GetShardIterator and SubscribeToShard's {@code StartingPosition}, with AWS's texts for GetShardIterator.
 *
 * <p>A sequence number is checked as AWS does, in AWS's order: it must parse ("... is invalid."), encode this shard
 * ("Invalid StartingSequenceNumber. It encodes ..."), and carry this shard's creation ("... is invalid because it did
 * not come from this stream."). AWS answers a matching number in its oldest layout (version 0, such as "0") with a
 * 500 InternalFailure; here it gets the "did not come from this stream" InvalidArgumentException instead, since a
 * bad argument is never a server error.
 *
 * <p>Stateless, thread-safe.
 */
final class StartingPositions {
    private static final String EITHER = "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
            + "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ";

    private StartingPositions() {
    }

    static long resolve(ApiServices services, StreamRecord s, ShardRecord shard, String type, String sequenceNumber,
                        Instant timestamp, String operation) {
        boolean getShardIterator = "GetShardIterator".equals(operation);
        switch (type) {
            case "TRIM_HORIZON":
                checkNoSequenceNumber(type, sequenceNumber, getShardIterator);
                return Math.max(shard.startingPosition(), services.streams().log(s, shard).startPosition());
            case "LATEST":
                checkNoSequenceNumber(type, sequenceNumber, getShardIterator);
                return shard.ended() ? shard.endingPosition() : services.streams().log(s, shard).endPosition();
            case "AT_SEQUENCE_NUMBER":
                return withinShard(shard, Math.max(0, sequencePosition(services, s, shard, type, sequenceNumber,
                        operation)));
            case "AFTER_SEQUENCE_NUMBER":
                // At most 2^63-2 + 1: no overflow.
                return withinShard(shard, sequencePosition(services, s, shard, type, sequenceNumber, operation) + 1);
            case "AT_TIMESTAMP":
                return timestampPosition(services, s, shard, timestamp);
            default:
                throw new IllegalStateException("validated enum value " + type);
        }
    }

    private static void checkNoSequenceNumber(String type, String sequenceNumber, boolean getShardIterator) {
        // SubscribeToShard's StartingPosition has always ignored a stray SequenceNumber; AWS's text is about
        // GetShardIterator's StartingSequenceNumber, so only GetShardIterator refuses one.
        if (sequenceNumber != null && getShardIterator) {
            throw KinesisException.invalidArgument(EITHER + type + " and also a StartingSequenceNumber.");
        }
    }

    /** The end of a closed shard is as far as a sequence number can take a reader (AWS's end mark goes there). */
    private static long withinShard(ShardRecord shard, long position) {
        return shard.ended() ? Math.min(position, shard.endingPosition()) : position;
    }

    private static long timestampPosition(ApiServices services, StreamRecord s, ShardRecord shard,
                                          Instant timestamp) {
        if (timestamp == null) {
            throw KinesisException.invalidArgument("Must specify timestampInMillis parameter for iterator of type "
                    + "AT_TIMESTAMP. Current request has no timestamp parameter.");
        }
        long now = services.streams().clock().millis();
        if (timestamp.toEpochMilli() > now) {
            throw KinesisException.invalidArgument("The timestampInMillis parameter cannot be greater than "
                    + "the currentTimestampInMillis. timestampInMillis: " + timestamp.toEpochMilli()
                    + ", currentTimestampInMillis: " + now);
        }
        return services.streams().log(s, shard).positionAtOrAfter(timestamp.toEpochMilli());
    }

    private static long sequencePosition(ApiServices services, StreamRecord s, ShardRecord shard, String type,
                                         String sequenceNumber, String operation) {
        if (sequenceNumber == null) {
            throw KinesisException.invalidArgument(EITHER + type + " and no StartingSequenceNumber.");
        }
        SequenceNumbers.Parts parts = SequenceNumbers.parse(sequenceNumber);
        String invalid = "StartingSequenceNumber " + sequenceNumber + " used in " + operation + " on shard "
                + shard.shardId() + " in stream " + s.name() + " under account " + services.streams().account().id()
                + " is invalid";
        if (parts == null) {
            throw KinesisException.invalidArgument(invalid + ".");
        }
        if (parts.shardIndex() != shard.index()) {
            // AWS prints the encoded index as a signed 32-bit number, zero-padded after the sign.
            throw KinesisException.invalidArgument("Invalid StartingSequenceNumber. It encodes "
                    + String.format("shardId-%012d", parts.shardIndex()) + ", while it was used in a call to a "
                    + "shard with " + shard.shardId());
        }
        if (!parts.cameFrom(s.epochMs(), shard)) {
            throw KinesisException.invalidArgument(invalid + " because it did not come from this stream.");
        }
        return parts.position();
    }
}
