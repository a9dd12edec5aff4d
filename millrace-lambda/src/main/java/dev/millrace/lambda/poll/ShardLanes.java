package dev.millrace.lambda.poll;

import java.util.TreeSet;

/**
 * ParallelizationFactor for one shard: its records are spread over lanes by partition key, so that up to that many
 * batches of the shard are processed at once while the records of one key stay in order (Lambda: "in-order processing
 * at the partition-key level"); and the shard's checkpoint, the position before which every record has ended
 * (processed, filtered out or discarded), so that a restart never skips a record another lane has not finished.
 *
 * <p>Records are {@link #taken} in log order by the shard's reader and {@link #ended} by whichever lane processes
 * them, in any order across lanes.
 *
 * <p>Thread-safe: lanes end records concurrently with the reader taking more.
 */
final class ShardLanes {

    private final int lanes;
    /** Positions taken and not yet ended. */
    private final TreeSet<Long> inFlight = new TreeSet<>();
    /** The position after the last record taken, or where reading starts. */
    private long readPosition;

    /**
     * @param lanes         ParallelizationFactor, 1 to 10
     * @param startPosition the shard's checkpoint: where reading starts
     */
    ShardLanes(int lanes, long startPosition) {
        if (lanes < 1) {
            throw new IllegalArgumentException("lanes must be positive: " + lanes);
        }
        this.lanes = lanes;
        this.readPosition = startPosition;
    }

    /**
     * The lane of a record with this partition key. String.hashCode is specified by the Java language, so a key keeps
     * its lane across restarts and nodes; a record without a key (never from PutRecord, which requires one) goes to
     * lane 0.
     */
    int laneOf(String partitionKey) {
        return partitionKey == null ? 0 : Math.floorMod(partitionKey.hashCode(), lanes);
    }

    int lanes() {
        return lanes;
    }

    /** The reader took the record at {@code position} (greater than every position taken before). */
    synchronized void taken(long position) {
        if (position < readPosition) {
            throw new IllegalArgumentException("position " + position + " taken after " + readPosition);
        }
        inFlight.add(position);
        readPosition = position + 1;
    }

    /** The reader passed the log up to {@code nextPosition} (records filtered out, or a gap in positions). */
    synchronized void passed(long nextPosition) {
        readPosition = Math.max(readPosition, nextPosition);
    }

    /** The record at {@code position} ended: processed, filtered out, or discarded. */
    synchronized void ended(long position) {
        inFlight.remove(position);
    }

    /** The position before which every record taken has ended: what the shard's checkpoint may move to. */
    synchronized long checkpoint() {
        return inFlight.isEmpty() ? readPosition : inFlight.first();
    }

    /** Records taken and not ended (bounds how far the reader runs ahead). */
    synchronized int inFlight() {
        return inFlight.size();
    }
}
