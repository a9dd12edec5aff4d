package dev.millrace.cli;

import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.time.Instant;

/**
 * Where reading a shard begins: TRIM_HORIZON, LATEST, AT_TIMESTAMP (with {@code timestamp}) or AFTER_SEQUENCE_NUMBER
 * (with {@code sequenceNumber}), in GetShardIterator's and SubscribeToShard's terms.
 *
 * <p>Immutable.
 */
record StartPosition(ShardIteratorType type, String sequenceNumber, Instant timestamp) {
    static final StartPosition TRIM_HORIZON = new StartPosition(ShardIteratorType.TRIM_HORIZON, null, null);
    static final StartPosition LATEST = new StartPosition(ShardIteratorType.LATEST, null, null);

    static StartPosition atTimestamp(Instant timestamp) {
        return new StartPosition(ShardIteratorType.AT_TIMESTAMP, null, timestamp);
    }

    static StartPosition after(String sequenceNumber) {
        return new StartPosition(ShardIteratorType.AFTER_SEQUENCE_NUMBER, sequenceNumber, null);
    }

    /** The --from value: latest, trim-horizon, or an ISO-8601 instant (2026-12-06T14:00:00Z) or date-time. */
    static StartPosition parse(String from) {
        String v = from.trim();
        if (v.equalsIgnoreCase("latest")) {
            return LATEST;
        }
        if (v.equalsIgnoreCase("trim-horizon") || v.equalsIgnoreCase("trim_horizon")) {
            return TRIM_HORIZON;
        }
        try {
            return atTimestamp(java.time.OffsetDateTime.parse(v).toInstant());
        } catch (java.time.format.DateTimeParseException e) {
            try {
                return atTimestamp(Instant.parse(v));
            } catch (java.time.format.DateTimeParseException e2) {
                throw new UsageException("--from " + from + ": expected latest, trim-horizon or an ISO-8601 time "
                        + "with its offset, such as 2026-12-06T14:00:00Z or 2026-12-06T15:00:00+01:00");
            }
        }
    }
}
