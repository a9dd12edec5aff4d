package dev.millrace.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which shards {@code millrace tail} may read now. A shard is read only after all of its parents are finished (read
 * to their end, or not to be read at all), so that across a split or a merge a partition key's records come out in
 * order: its records in a parent were all written before any in a child. A parent the lineage does not know (past
 * the retention period, or closed before a tail from LATEST began) counts as finished.
 *
 * <p>Thread-safe: every method is synchronized.
 */
final class ShardLineage {
    private enum State { WAITING, READING, FINISHED }

    private final Map<String, State> states = new LinkedHashMap<>();
    private final Map<String, List<String>> parents = new LinkedHashMap<>();

    /** Adds a shard to read once its parents are finished; a shard already known is left as it is. */
    synchronized void add(String shardId, List<String> parentIds) {
        if (!states.containsKey(shardId)) {
            states.put(shardId, State.WAITING);
            parents.put(shardId, List.copyOf(parentIds));
        }
    }

    /** Adds a shard that is not to be read but counts as finished for its children. */
    synchronized void addFinished(String shardId) {
        states.put(shardId, State.FINISHED);
        parents.putIfAbsent(shardId, List.of());
    }

    /** The shards that may be read now, in the order they were added; each is returned once. */
    synchronized List<String> takeReady() {
        List<String> ready = new ArrayList<>();
        for (Map.Entry<String, State> e : states.entrySet()) {
            if (e.getValue() == State.WAITING && parentsFinished(e.getKey())) {
                ready.add(e.getKey());
            }
        }
        ready.forEach(id -> states.put(id, State.READING));
        return ready;
    }

    /** Marks a shard read to its end (or to where this tail stops). */
    synchronized void finish(String shardId) {
        states.put(shardId, State.FINISHED);
        parents.putIfAbsent(shardId, List.of());
    }

    /** True when every shard known is finished. */
    synchronized boolean allFinished() {
        return states.values().stream().allMatch(s -> s == State.FINISHED);
    }

    synchronized int count() {
        return states.size();
    }

    synchronized int finishedCount() {
        return (int) states.values().stream().filter(s -> s == State.FINISHED).count();
    }

    private boolean parentsFinished(String shardId) {
        for (String parent : parents.get(shardId)) {
            State state = states.get(parent);
            if (state != null && state != State.FINISHED) {
                return false;
            }
        }
        return true;
    }
}
