package dev.millrace.storage;

import java.util.List;

/**
 * The records a read returned, in position order, and where the next read should start.
 *
 * <p>{@code nextPosition} is one past the last returned record, or, when nothing was returned, the position a reader
 * should retry from (the requested position, moved forward past records that expired or were lost).
 * {@code endPosition} is the log's visible end when the read ran, so {@code endPosition - nextPosition} is how far the
 * reader is behind. Immutable, thread-safe.
 */
public record ReadResult(List<StoredRecord> records, long nextPosition, long endPosition) {
    public ReadResult {
        records = List.copyOf(records);
    }

    public boolean atEnd() {
        return nextPosition >= endPosition;
    }
}
