package dev.millrace.it;

import dev.millrace.it.KclHarness.Put;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The KCL scenarios' records ({@link KclHarness#data}) put to a cluster of Millrace nodes whose nodes die: calls go
 * to the live nodes in turn, and what failed (a whole call, or some entries) is put again through the next one.
 *
 * <p>Per-key order survives the retries because a call carries at most one record of each of the
 * {@value KclHarness#KEYS} keys (records {@code n .. n+49}) and the next call starts only once every record of this
 * one is acknowledged. A record whose first attempt failed may still have been appended (a node killed after it
 * appended, before it answered; a shard owner that appended but whose answer was lost): such a copy, a "ghost", sits
 * in the stream before the acknowledged one, under another sequence number. {@link #unacknowledged} names every
 * record that had an attempt without an acknowledgement; only those may be processed under a sequence number other
 * than the acknowledged one.
 *
 * <p>Thread-safe: one thread runs {@link #run}; the others read.
 */
final class ClusterProducer {
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(60);

    private final List<KinesisClient> clients;
    private final Set<Integer> dead;
    private final String stream;
    private final Map<String, Put> puts = new ConcurrentHashMap<>();
    /** Per record put without an acknowledgement: how its first such attempt failed, through which node, when. */
    private final Map<String, String> unacknowledged = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final Map<String, String> failureSamples = new ConcurrentHashMap<>();
    private final AtomicLong longestWaitNanos = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger next = new AtomicInteger();
    private int node;

    /** {@code clients}: one per node, without retries of their own; {@code dead}: the nodes not to call. */
    ClusterProducer(List<KinesisClient> clients, Set<Integer> dead, String stream) {
        this.clients = clients;
        this.dead = dead;
        this.stream = stream;
    }

    /** Puts batches of {@value KclHarness#KEYS} records, {@code pauseMillis} apart, until {@link #stop}. */
    void run(long pauseMillis) {
        try {
            while (running.get()) {
                int from = next.get();
                putBatch(from, from + KclHarness.KEYS);
                next.set(from + KclHarness.KEYS);
                Thread.sleep(pauseMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void stop() {
        running.set(false);
    }

    /** How many records were put and acknowledged. */
    int acknowledged() {
        return puts.size();
    }

    Map<String, Put> puts() {
        return Map.copyOf(puts);
    }

    /** The records that had an attempt without an acknowledgement, with how the first one failed. */
    Map<String, String> unacknowledged() {
        return Map.copyOf(unacknowledged);
    }

    /** Failed calls ("call: <exception>") and failed entries (their error code), counted. */
    Map<String, Integer> failures() {
        Map<String, Integer> out = new TreeMap<>();
        failures.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** The first message seen for each kind of failure, for a post-mortem. */
    Map<String, String> failureSamples() {
        return new TreeMap<>(failureSamples);
    }

    /** The longest a batch waited, from its first attempt, until every record of it was acknowledged. */
    Duration longestWait() {
        return Duration.ofNanos(longestWaitNanos.get());
    }

    /** The last sequence number put to each shard. */
    Map<String, String> lastSequenceNumbers() {
        Map<String, String> last = new HashMap<>();
        for (Put p : puts.values()) {
            last.merge(p.shardId(), p.sequenceNumber(), (a, b) -> Streams.compareSequence(a, b) >= 0 ? a : b);
        }
        return last;
    }

    private void putBatch(int from, int to) throws InterruptedException {
        List<Integer> pending = new ArrayList<>();
        for (int n = from; n < to; n++) {
            pending.add(n);
        }
        long startNanos = System.nanoTime();
        long giveUpAt = startNanos + GIVE_UP_AFTER.toNanos();
        while (!pending.isEmpty()) {
            if (System.nanoTime() > giveUpAt) {
                throw new IllegalStateException("records " + pending + " not acknowledged within " + GIVE_UP_AFTER
                        + "; failures " + failures());
            }
            pending = attempt(pending);
            if (!pending.isEmpty()) {
                Thread.sleep(50);
            }
        }
        longestWaitNanos.accumulateAndGet(System.nanoTime() - startNanos, Math::max);
    }

    /** One PutRecords call through the next live node; returns the records still to put. */
    private List<Integer> attempt(List<Integer> records) {
        List<PutRecordsRequestEntry> entries = records.stream().map(n -> PutRecordsRequestEntry.builder()
                .partitionKey(KclHarness.partitionKey(n)).data(SdkBytes.fromUtf8String(KclHarness.data(n))).build())
                .toList();
        List<Integer> failed = new ArrayList<>();
        int via = nextLiveNode();
        String attempt = " via node" + via + " at " + KclHarness.nowMicros();
        try {
            List<PutRecordsResultEntry> results = clients.get(via)
                    .putRecords(b -> b.streamName(stream).records(entries)).records();
            for (int i = 0; i < records.size(); i++) {
                PutRecordsResultEntry r = results.get(i);
                String data = KclHarness.data(records.get(i));
                if (r.errorCode() == null) {
                    puts.put(data, new Put(data, r.shardId(), r.sequenceNumber()));
                } else {
                    failures.computeIfAbsent(r.errorCode(), k -> new AtomicInteger()).incrementAndGet();
                    failureSamples.putIfAbsent(r.errorCode(), r.errorMessage() == null ? "" : r.errorMessage());
                    unacknowledged.putIfAbsent(data, r.errorCode() + " " + r.shardId() + attempt);
                    failed.add(records.get(i));
                }
            }
            return failed;
        } catch (SdkException e) {
            String kind = "call: " + e.getClass().getSimpleName();
            failures.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            failureSamples.putIfAbsent(kind, String.valueOf(e.getMessage()));
            records.forEach(n -> unacknowledged.putIfAbsent(KclHarness.data(n), kind + attempt));
            return records;
        }
    }

    private int nextLiveNode() {
        for (int i = 0; i < clients.size(); i++) {
            node = (node + 1) % clients.size();
            if (!dead.contains(node)) {
                return node;
            }
        }
        throw new IllegalStateException("every node is dead");
    }
}
