package dev.millrace.channels.delivery;

import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

/**
 * How far the shard's next batch is known, so that each poll reads only what was appended since the last one (a
 * batch can be 64 MiB; re-reading it every second would cost more than delivering it). It only decides when the
 * batch is due; the batch itself is rebuilt from the log by {@link BatchStager} with the same {@link BatchCut}.
 *
 * <p>Not thread-safe: owned by the one task that works on its shard at a time.
 */
final class ShardScan {

    private final long startPosition;
    private final BatchCut cut;
    private long readPosition;
    private boolean atEnd;

    ShardScan(long startPosition, BatchCut cut) {
        this.startPosition = startPosition;
        this.cut = cut;
        this.readPosition = startPosition;
    }

    long startPosition() {
        return startPosition;
    }

    BatchCut cut() {
        return cut;
    }

    /** Reads on until the batch closes or the log ends; returns whether the log's end was reached. */
    boolean advance(ShardLog log, int pageRecords, long pageBytes) {
        atEnd = false;
        while (!cut.closed()) {
            ReadResult page = log.read(readPosition, pageRecords, pageBytes);
            for (StoredRecord record : page.records()) {
                if (!cut.take(record)) {
                    return false;
                }
            }
            if (page.records().isEmpty() && page.nextPosition() <= readPosition) {
                atEnd = true;
                return true;
            }
            readPosition = page.nextPosition();
        }
        return false;
    }

    /** Whether the last {@link #advance} reached the log's end without closing the batch. */
    boolean atEnd() {
        return atEnd;
    }
}
