package dev.millrace.storage.kafka;

import dev.millrace.storage.AppendResult;
import dev.millrace.storage.FailureLog;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Tells the shard logs of one store about records appended to their partitions by any process (issue 15: other
 * Millrace nodes), so that an enhanced fan-out session on a node that does not append to its shard is woken too.
 *
 * <p>It watches only the shards that have append listeners ({@link KafkaShardLog#onAppend}): one consumer, no group,
 * {@code assign}ed exactly those partitions and re-assigned when the set changes, polled by one daemon thread. A
 * partition that starts being watched is read from its log's known end, so that records appended elsewhere since the
 * log last learned its end are announced too. For the records beyond a log's known end it raises that end and
 * fires the log's listeners ({@link KafkaShardLog#announce}); records below it are not announced.
 *
 * <p>This node's own appends are announced by their appending threads, and the watcher fetches their records too,
 * often before the acknowledgement reaches the appender. So while an append call of this node to the shard is under
 * way ({@link KafkaShardLog#appendsRunning}) the records seen beyond the end wait, and once none is, those still at
 * or beyond the end (raised meanwhile by the appends that finished) are announced: never one of this node's
 * successful appends' records, and never one announced before. Nothing is missed by waiting: a record that fell
 * below the end an own append raised became readable before that append's record, whose announcement then woke the
 * listeners. (Were one announced twice, it would still be harmless to the server's fan-out, whose listener only
 * schedules its sessions, which read from where they stand; but the storage contract tests count announcements.)
 *
 * <p>Delay: the broker answers the watcher's fetch as soon as the high watermark passes new records, so another
 * node's record is announced about one fetch round trip after it became readable; an idle fetch is held at the
 * broker at most {@value #FETCH_MAX_WAIT_MS} ms. Bounded: each fetch brings at most {@value #FETCH_MAX_BYTES} bytes
 * ({@value #PARTITION_FETCH_BYTES} per partition, except that Kafka always returns a first record larger than that),
 * and a poll at most {@value #MAX_POLL_RECORDS} records. A log whose known end lags far behind catches up through the
 * backlog in such steps, once.
 *
 * <p>Failures: Kafka's errors are logged rate-limited ({@link FailureLog}) and retried after
 * {@value #RETRY_AFTER_MS} ms with a new consumer (the old one's state is unknown), resuming where each partition's
 * last announced record left it; they are never fatal. Every {@value #EXISTENCE_CHECK_MS} ms the watched topics are
 * looked up (one admin call for all), and a topic found missing twice in a row is dropped from the watch: a consumer assigned a
 * deleted topic fetches it again and again, logging each time.
 *
 * <p>Thread-safe: {@link #watch}, {@link #unwatch} and {@link #close} may be called from any thread; the consumer and
 * the fields below marked so are used only by the watcher's own thread. Listeners are called on that thread.
 */
final class TailWatcher implements AutoCloseable {
    static final long FETCH_MAX_WAIT_MS = 200;
    static final int PARTITION_FETCH_BYTES = 1024 * 1024;
    static final int FETCH_MAX_BYTES = 4 * 1024 * 1024;
    static final int MAX_POLL_RECORDS = 2_000;
    /** How long one poll may wait; a change of the watched set or a close interrupts it ({@code wakeup}). */
    private static final long POLL_MS = 1_000;
    /** How long a poll waits while records wait for this node's own appends to finish. */
    private static final long SHORT_POLL_MS = 5;
    /** At most this many records per partition wait to be announced; past it the oldest are left out. */
    static final int MAX_UNANNOUNCED = MAX_POLL_RECORDS;
    static final long RETRY_AFTER_MS = 1_000;
    static final long EXISTENCE_CHECK_MS = 1_000;
    private static final long FAILURE_LOG_INTERVAL_MS = 60_000;
    private static final long CLOSE_TIMEOUT_MS = 10_000;
    private static final Logger log = LoggerFactory.getLogger(TailWatcher.class);

    private final String name;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final ShardTopics topics;
    private final FailureLog failures;
    /** The logs to watch, by partition: a shard deleted and created again maps to its new log. */
    private final ConcurrentHashMap<TopicPartition, KafkaShardLog> watched = new ConcurrentHashMap<>();
    /** Guards {@link #thread}, {@link #changed}, {@link #closed} and the publication of {@link #consumer}. */
    private final Object lock = new Object();
    private Thread thread;
    private boolean changed;
    private boolean closed;
    /** The watcher thread's consumer, volatile so that another thread can {@code wakeup} it. */
    private volatile Consumer<byte[], byte[]> consumer;
    /** The partitions the consumer is assigned now, for tests. */
    private volatile Set<TopicPartition> assigned = Set.of();

    /** Watcher thread only: the logs the consumer is assigned, and where each continues. */
    private Map<TopicPartition, KafkaShardLog> assignedLogs = Map.of();
    private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
    /**
     * Watcher thread only: per partition, {position, arrivalMs} of the records seen beyond its log's end and not yet
     * announced, in offset order.
     */
    private final Map<TopicPartition, ArrayDeque<long[]>> unannounced = new HashMap<>();
    /** Watcher thread only: the watched topics the previous existence check found missing. */
    private final Set<String> missingBefore = new HashSet<>();

    /**
     * @param name      names the thread and the log lines ("millrace-log-3")
     * @param consumers makes the watcher's consumer (a new one after a failure); no group, as the readers'
     */
    TailWatcher(String name, Supplier<Consumer<byte[], byte[]>> consumers, ShardTopics topics, Clock clock) {
        this.name = name;
        this.consumers = consumers;
        this.topics = topics;
        this.failures = new FailureLog(log, "Tail watcher " + name, clock, FAILURE_LOG_INTERVAL_MS);
    }

    /** Starts watching the log's partition (replacing an older log of the same partition); starts the thread. */
    void watch(KafkaShardLog shardLog) {
        watched.put(shardLog.partition(), shardLog);
        changed();
    }

    /** Stops watching the log's partition, unless a newer log of it took its place. */
    void unwatch(KafkaShardLog shardLog) {
        if (watched.remove(shardLog.partition(), shardLog)) {
            changed();
        }
    }

    private void changed() {
        Consumer<byte[], byte[]> polling;
        synchronized (lock) {
            if (closed) {
                return;
            }
            changed = true;
            if (thread == null) {
                thread = new Thread(this::run, name + "-tail-watcher");
                thread.setDaemon(true);
                thread.start();
            }
            lock.notifyAll();
            polling = consumer;
        }
        if (polling != null) {
            polling.wakeup(); // thread-safe; makes a poll under way return so the new set is assigned now
        }
    }

    /** The partitions being fetched now, for tests. */
    Set<TopicPartition> assigned() {
        return assigned;
    }

    private void run() {
        long nextExistenceCheckNs = System.nanoTime() + EXISTENCE_CHECK_MS * 1_000_000;
        while (true) {
            boolean reassign;
            synchronized (lock) {
                if (closed) {
                    break;
                }
                if (!changed && assignedLogs.isEmpty()) {
                    waitQuietly(0); // nothing watched: no consumer fetches, the thread sleeps until a watch
                    continue;
                }
                reassign = changed;
                changed = false;
            }
            try {
                if (consumer == null) {
                    Consumer<byte[], byte[]> made = consumers.get();
                    synchronized (lock) {
                        consumer = made;
                    }
                    reassign = true;
                }
                if (reassign) {
                    reassign();
                }
                if (assignedLogs.isEmpty()) {
                    continue;
                }
                collect(consumer.poll(Duration.ofMillis(unannounced.isEmpty() ? POLL_MS : SHORT_POLL_MS)));
                announce();
                if (System.nanoTime() - nextExistenceCheckNs >= 0) {
                    nextExistenceCheckNs = System.nanoTime() + EXISTENCE_CHECK_MS * 1_000_000;
                    dropDeleted();
                }
                failures.healed("watching again");
            } catch (WakeupException e) {
                // The watched set changed, or the store closes: the loop looks again.
            } catch (InterruptException e) {
                break; // only close interrupts this thread
            } catch (RuntimeException e) {
                failures.failure("watching " + assignedLogs.size() + " shards for other nodes' appends", e);
                closeConsumer(); // its state is unknown; a new one resumes from nextOffsets
                synchronized (lock) {
                    changed = true;
                    if (!closed) {
                        waitQuietly(RETRY_AFTER_MS);
                    }
                }
            }
        }
        closeConsumer();
    }

    /** Assigns the consumer exactly the watched partitions, each positioned where its announcements continue. */
    private void reassign() {
        Map<TopicPartition, KafkaShardLog> now = new HashMap<>(watched);
        nextOffsets.keySet().retainAll(now.keySet());
        for (Map.Entry<TopicPartition, KafkaShardLog> e : now.entrySet()) {
            if (assignedLogs.get(e.getKey()) != e.getValue()) {
                nextOffsets.remove(e.getKey()); // a new watch, or a topic deleted and created again
                unannounced.remove(e.getKey());
            }
        }
        unannounced.keySet().retainAll(now.keySet());
        // Unassigning first drops whatever was fetched ahead, also of a previous topic of the same name.
        consumer.assign(List.of());
        consumer.assign(now.keySet());
        for (Map.Entry<TopicPartition, KafkaShardLog> e : now.entrySet()) {
            long from = nextOffsets.computeIfAbsent(e.getKey(), k -> e.getValue().knownEnd());
            consumer.seek(e.getKey(), from);
        }
        assignedLogs = now;
        assigned = Set.copyOf(now.keySet());
    }

    /** Notes, per partition, the polled records beyond its log's known end. */
    private void collect(ConsumerRecords<byte[], byte[]> polled) {
        for (TopicPartition partition : polled.partitions()) {
            KafkaShardLog shardLog = assignedLogs.get(partition);
            List<ConsumerRecord<byte[], byte[]>> records = polled.records(partition);
            if (shardLog == null || records.isEmpty()) {
                continue;
            }
            nextOffsets.put(partition, records.get(records.size() - 1).offset() + 1);
            long knownEnd = shardLog.knownEnd();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (r.offset() >= knownEnd) {
                    ArrayDeque<long[]> waiting = unannounced.computeIfAbsent(partition, k -> new ArrayDeque<>());
                    waiting.addLast(new long[] {r.offset(), r.timestamp()});
                    if (waiting.size() > MAX_UNANNOUNCED) {
                        waiting.pollFirst(); // the newest raise the end; readers read what lies below it
                    }
                }
            }
        }
    }

    /**
     * Announces, per log with no append of this node under way, the noted records still at or beyond its end, as one
     * append; the others wait for the next round.
     */
    private void announce() {
        for (Iterator<Map.Entry<TopicPartition, ArrayDeque<long[]>>> it = unannounced.entrySet().iterator();
             it.hasNext(); ) {
            Map.Entry<TopicPartition, ArrayDeque<long[]>> e = it.next();
            KafkaShardLog shardLog = assignedLogs.get(e.getKey());
            if (shardLog == null) {
                it.remove();
                continue;
            }
            // Read before the end: if none runs, this node's appended records all lie below the end read next.
            boolean ownAppendsRunning = shardLog.appendsRunning();
            long knownEnd = shardLog.knownEnd();
            ArrayDeque<long[]> waiting = e.getValue();
            waiting.removeIf(r -> r[0] < knownEnd); // below the end: never to be announced, whatever runs
            if (waiting.isEmpty()) {
                it.remove();
                continue;
            }
            if (ownAppendsRunning) {
                continue;
            }
            it.remove();
            long[] positions = new long[waiting.size()];
            long[] arrivalsMs = new long[waiting.size()];
            int i = 0;
            for (long[] r : waiting) {
                positions[i] = r[0];
                arrivalsMs[i++] = r[1];
            }
            shardLog.announce(AppendResult.of(positions, arrivalsMs));
        }
    }

    /**
     * Drops the watched partitions whose topics were found missing twice in a row: on several brokers, a topic
     * created a moment ago may still be unknown to the one asked.
     */
    private void dropDeleted() {
        Set<String> names = new HashSet<>();
        for (TopicPartition partition : assignedLogs.keySet()) {
            names.add(partition.topic());
        }
        Set<String> missing = topics.missing(names);
        Set<String> missingTwice = new HashSet<>(missing);
        missingTwice.retainAll(missingBefore);
        missingBefore.clear();
        missingBefore.addAll(missing);
        if (missingTwice.isEmpty()) {
            return;
        }
        for (Map.Entry<TopicPartition, KafkaShardLog> e : assignedLogs.entrySet()) {
            if (missingTwice.contains(e.getKey().topic())) {
                log.info("Tail watcher {}: topic {} no longer exists; shard {} is no longer watched", name,
                        e.getKey().topic(), e.getValue().key());
                watched.remove(e.getKey(), e.getValue());
            }
        }
        synchronized (lock) {
            changed = true;
        }
    }

    private void waitQuietly(long ms) {
        try {
            lock.wait(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true; // only close interrupts this thread
        }
    }

    private void closeConsumer() {
        Consumer<byte[], byte[]> c;
        synchronized (lock) {
            c = consumer;
            consumer = null;
        }
        assigned = Set.of(); // assignedLogs stays: the next consumer is assigned them, each where it left off
        if (c != null) {
            try {
                c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                log.warn("Tail watcher {}: closing its Kafka consumer failed", name, e);
            }
        }
    }

    /** Stops the thread and closes its consumer; waits for it at most {@value #CLOSE_TIMEOUT_MS} ms. */
    @Override
    public void close() {
        Thread running;
        Consumer<byte[], byte[]> polling;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
            running = thread;
            polling = consumer;
        }
        watched.clear();
        if (polling != null) {
            polling.wakeup();
        }
        if (running == null || running == Thread.currentThread()) {
            return;
        }
        try {
            running.join(CLOSE_TIMEOUT_MS);
            if (running.isAlive()) {
                running.interrupt(); // stuck in an admin call of a cluster gone: the store closes the admin next
                log.warn("Tail watcher {} did not stop within {} ms", name, CLOSE_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
