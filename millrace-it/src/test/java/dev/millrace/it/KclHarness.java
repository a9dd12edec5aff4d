package dev.millrace.it;

import dev.millrace.it.KclJournal.Event;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the KCL scenarios share: the records they put (50 partition keys, each key's records numbered in put
 * order), the lease table as KCL leaves it, and the checks on what the workers' journals ({@link KclJournal}) say.
 *
 * <p>Stateless but for {@link Producer} (thread-safe) and {@link #OPERATIONS} (a thread-safe counter).
 */
final class KclHarness {
    static final int KEYS = 50;
    static final String SHARD_END = "SHARD_END";
    /** The index KCL 3.x adds to its lease table to find a worker's leases. */
    static final String LEASE_OWNER_INDEX = "LeaseOwnerToLeaseKeyIndex";

    /**
     * Counts, per "service.operation", the calls made by the SDK clients that carry it; "…!failed" counts failures,
     * "…!AccessDeniedException" (any AWS error code) those the server refused with that error.
     */
    static final Operations OPERATIONS = new Operations();

    private KclHarness() {
    }

    /** Wall-clock microseconds, the journals' time. */
    static long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    /** The record numbered {@code n} overall: key {@code n mod 50}, index {@code n / 50} among that key's records. */
    static String partitionKey(int n) {
        return "key-" + (n % KEYS);
    }

    static String data(int n) {
        return partitionKey(n) + "/" + (n / KEYS);
    }

    /** Where the journals and KCL child logs of a test go (kept after the run, next to the server logs). */
    static Path logs(String name) {
        return Path.of(System.getProperty("millrace.it.logs", "target/millrace-logs")).resolve("kcl").resolve(name);
    }

    static DynamoDbClient dynamo(URI endpoint) {
        return DynamoDbClient.builder().endpointOverride(endpoint).region(Clients.REGION)
                .credentialsProvider(Clients.CREDENTIALS).httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** The times at which a scenario reached its steps, for its summary line. Not thread-safe. */
    static final class Phases {
        private final long start = System.nanoTime();
        private final StringBuilder steps = new StringBuilder();

        Phases(String name) {
            steps.append(name).append(" timeline:");
        }

        void done(String step) {
            steps.append(String.format(" %s at %.1f s,", step, (System.nanoTime() - start) / 1e9));
        }

        @Override
        public String toString() {
            return steps.substring(0, steps.length() - 1);
        }
    }

    /** A record as acknowledged by PutRecords. */
    record Put(String data, String shardId, String sequenceNumber) {
    }

    /**
     * Puts records in order, 500 per PutRecords call, and keeps what each was acknowledged as. A record is put
     * once; a call with a failed entry fails the test (throughput limits are off, so none is expected).
     *
     * <p>Thread-safe.
     */
    static final class Producer {
        private final KinesisClient kinesis;
        private final String stream;
        private final Map<String, Put> puts = new ConcurrentHashMap<>();

        Producer(KinesisClient kinesis, String stream) {
            this.kinesis = kinesis;
            this.stream = stream;
        }

        /** Puts records {@code from} (inclusive) to {@code to}, waiting {@code pauseMillis} between calls. */
        void put(int from, int to, long pauseMillis) throws InterruptedException {
            for (int start = from; start < to; start += 500) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int n = start; n < Math.min(to, start + 500); n++) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey(partitionKey(n))
                            .data(SdkBytes.fromUtf8String(data(n))).build());
                }
                List<PutRecordsResultEntry> results = kinesis.putRecords(b -> b.streamName(stream).records(entries))
                        .records();
                for (int i = 0; i < entries.size(); i++) {
                    PutRecordsResultEntry r = results.get(i);
                    assertThat(r.errorCode()).as("entry %d", start + i).isNull();
                    String d = data(start + i);
                    puts.put(d, new Put(d, r.shardId(), r.sequenceNumber()));
                }
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
        }

        /** Every record put so far, by data. */
        Map<String, Put> puts() {
            return Map.copyOf(puts);
        }

        /** The last sequence number put to each shard. */
        Map<String, String> lastSequenceNumbers() {
            Map<String, String> last = new HashMap<>();
            for (Put p : puts.values()) {
                last.merge(p.shardId(), p.sequenceNumber(), (a, b) -> Streams.compareSequence(a, b) >= 0 ? a : b);
            }
            return last;
        }
    }

    /**
     * Waits until the first worker of an application has recorded the application's KCL version (the item
     * {@code Migration3.0}, which KCL 3.5 keeps in the lease table of a new application); only then may the next
     * worker start.
     *
     * <p>Why: every worker of a new application reads that item, finds none, and creates it with a conditional put.
     * The worker whose put loses the race fails its first initialization attempt, and KCL 3.5.1 never recovers from
     * that: {@code MigrationStateMachineImpl.initialize} remembers the starting version before entering it, so every
     * retry skips the entering, and the scheduler gives up after 20 attempts with "AssignmentMode is not
     * initialized". Against DynamoDB the same race is only less likely; against a local server, two workers started
     * together hit it every time.
     *
     * <p>Then it also waits for the lease table's {@value #LEASE_OWNER_INDEX}, which the first worker adds next
     * (DescribeTable, then UpdateTable if it is missing): a second worker that looks in between adds it too, and the
     * one whose UpdateTable comes second gets "already exists" and fails its initialization attempt; its retry comes
     * too late to take part in a short scenario. On Kafka storage, whose metadata commits take longer than the
     * embedded engine's, a second worker started on the version item alone looked in between (seen with KCL on the Kafka backend).
     */
    static void awaitApplicationVersion(DynamoDbClient ddb, String applicationName) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .ignoreException(ResourceNotFoundException.class)
                .until(() -> ddb.getItem(b -> b.tableName(applicationName).consistentRead(true)
                        .key(Map.of("leaseKey", AttributeValue.fromS("Migration3.0")))).hasItem()
                        && ddb.describeTable(b -> b.tableName(applicationName)).table().globalSecondaryIndexes()
                        .stream().anyMatch(i -> i.indexName().equals(LEASE_OWNER_INDEX)
                                && i.indexStatus() == IndexStatus.ACTIVE));
    }

    /** The lease table's shard leases (KCL may keep other entities in it), by lease key. */
    static Map<String, Map<String, AttributeValue>> leases(DynamoDbClient ddb, String table) {
        Map<String, Map<String, AttributeValue>> leases = new TreeMap<>();
        ddb.scanPaginator(b -> b.tableName(table).consistentRead(true)).items().forEach(item -> {
            AttributeValue key = item.get("leaseKey");
            if (key != null && key.s() != null && key.s().startsWith("shardId-")) {
                leases.put(key.s(), item);
            }
        });
        return leases;
    }

    static String attribute(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s() != null ? v.s() : v.n();
    }

    /** The checkpoint of each lease. */
    static Map<String, String> checkpoints(DynamoDbClient ddb, String table) {
        Map<String, String> checkpoints = new TreeMap<>();
        leases(ddb, table).forEach((k, item) -> checkpoints.put(k, attribute(item, "checkpoint")));
        return checkpoints;
    }

    /** The data of every record the journals say was processed. */
    static Set<String> processed(List<Event> events) {
        return events.stream().filter(e -> e.type() == Event.Type.P).map(Event::data).collect(Collectors.toSet());
    }

    /** Whether every record put has been processed, for Awaitility. */
    static boolean allProcessed(Producer producer, int total, List<Path> journals) {
        Map<String, Put> puts = producer.puts();
        return puts.size() == total && processed(KclJournal.read(journals)).containsAll(puts.keySet());
    }

    /**
     * At least once: every record put was processed, and every record processed was put, under the shard and
     * sequence number it was acknowledged with. Returns how many times records were processed beyond the first.
     */
    static int assertEveryRecordProcessedAtLeastOnce(List<Event> events, Map<String, Put> puts) {
        Map<String, Integer> times = new HashMap<>();
        for (Event e : events) {
            if (e.type() != Event.Type.P) {
                continue;
            }
            Put put = puts.get(e.data());
            assertThat(put).as("processed record %s was put", e.data()).isNotNull();
            assertThat(e.shardId()).as("shard of %s", e.data()).isEqualTo(put.shardId());
            assertThat(e.sequenceNumber()).as("sequence number of %s", e.data()).isEqualTo(put.sequenceNumber());
            times.merge(e.data(), 1, Integer::sum);
        }
        assertThat(times.keySet()).as("records processed").containsExactlyInAnyOrderElementsOf(puts.keySet());
        return times.values().stream().mapToInt(t -> t - 1).sum();
    }

    /**
     * Order per partition key, with replays allowed: taking every worker's events in time order, the first
     * processing of each record of a key comes right after the first processing of the key's previous record
     * (index i is first seen only once index i - 1 has been). A record seen again later (a replay from a checkpoint
     * after a failover or restart) is allowed, a record that jumps ahead of an unprocessed one is not.
     */
    static void assertFirstProcessingInPutOrder(List<Event> events) {
        Map<String, Integer> highest = new HashMap<>();
        for (Event e : events) {
            if (e.type() != Event.Type.P) {
                continue;
            }
            String[] keyAndIndex = e.data().split("/");
            int index = Integer.parseInt(keyAndIndex[1]);
            int seen = highest.getOrDefault(keyAndIndex[0], -1);
            if (index > seen) {
                assertThat(index).as("first processing of %s after %s/%d", e.data(), keyAndIndex[0], seen)
                        .isEqualTo(seen + 1);
                highest.put(keyAndIndex[0], index);
            }
        }
    }

    /**
     * Within one worker's hold of a shard (from an initialize to the next one in that worker's journal), records
     * come in strictly increasing sequence number order, starting after the checkpoint it was initialized with.
     */
    static void assertEachHoldReadsForward(List<Event> events) {
        Map<String, String> lastByHold = new HashMap<>();
        for (Event e : events) {
            String hold = e.file() + "/" + e.shardId();
            if (e.type() == Event.Type.I) {
                String start = e.sequenceNumber();
                lastByHold.put(hold, start.chars().allMatch(Character::isDigit) ? start : "-1");
            } else if (e.type() == Event.Type.P) {
                String last = lastByHold.get(hold);
                assertThat(last).as("%s processed before its shard was initialized", e.data()).isNotNull();
                assertThat(new BigInteger(e.sequenceNumber())).as("%s on %s after %s", e.data(), hold, last)
                        .isGreaterThan(new BigInteger(last));
                lastByHold.put(hold, e.sequenceNumber());
            }
        }
    }

    /** Whether every shard was initialized once in all the journals: no lease ever changed hands. */
    static boolean eachShardInitializedOnce(List<Event> events) {
        Map<String, Long> inits = events.stream().filter(e -> e.type() == Event.Type.I)
                .collect(Collectors.groupingBy(Event::shardId, Collectors.counting()));
        return inits.values().stream().allMatch(n -> n == 1);
    }

    /** How many records each journal processed (counting replays), by journal number. */
    static Map<Integer, Long> processedPerJournal(List<Event> events) {
        return events.stream().filter(e -> e.type() == Event.Type.P)
                .collect(Collectors.groupingBy(Event::file, TreeMap::new, Collectors.counting()));
    }

    /** The shards each journal initialized, by journal number. */
    static Map<Integer, Set<String>> shardsPerJournal(List<Event> events) {
        return events.stream().filter(e -> e.type() == Event.Type.I)
                .collect(Collectors.groupingBy(Event::file, TreeMap::new,
                        Collectors.mapping(Event::shardId, Collectors.toSet())));
    }

    /**
     * One worker's hold of a shard as its journal shows it: from an initialize to the last record, checkpoint,
     * shard end or shutdown it journaled before its next initialize of that shard (a lost lease, {@code L}, only
     * says the hold is over, so it does not extend it).
     */
    record Hold(int file, String shardId, long startMicros, long endMicros) {
        long overlapMicros(Hold other) {
            return Math.min(endMicros, other.endMicros) - Math.max(startMicros, other.startMicros);
        }
    }

    /** Every hold in the journals, ordered by start. */
    static List<Hold> holds(List<Event> events) {
        Map<String, long[]> open = new LinkedHashMap<>();
        List<Hold> holds = new ArrayList<>();
        for (Event e : events) {
            String key = e.file() + " " + e.shardId();
            long[] span = open.get(key);
            switch (e.type()) {
                case I -> {
                    if (span != null) {
                        holds.add(new Hold(e.file(), e.shardId(), span[0], span[1]));
                    }
                    open.put(key, new long[] {e.micros(), e.micros()});
                }
                case L -> {
                    if (span != null) {
                        holds.add(new Hold(e.file(), e.shardId(), span[0], span[1]));
                        open.remove(key);
                    }
                }
                default -> {
                    if (span != null) {
                        span[1] = e.micros();
                    }
                }
            }
        }
        open.forEach((key, span) -> holds.add(new Hold(Integer.parseInt(key.split(" ")[0]), key.split(" ")[1],
                span[0], span[1])));
        holds.sort((a, b) -> Long.compare(a.startMicros(), b.startMicros()));
        return holds;
    }

    /**
     * No shard held by two workers at once: two holds of one shard by different journals overlap by at most
     * {@code toleranceMicros}. Returns the largest overlap seen (negative: the closest two holds came, a gap).
     */
    static long assertNoShardHeldByTwoWorkersAtOnce(List<Event> events, long toleranceMicros) {
        List<Hold> holds = holds(events);
        long largest = Long.MIN_VALUE;
        for (int i = 0; i < holds.size(); i++) {
            for (int j = i + 1; j < holds.size(); j++) {
                Hold a = holds.get(i);
                Hold b = holds.get(j);
                if (a.file() == b.file() || !a.shardId().equals(b.shardId())) {
                    continue;
                }
                long overlap = a.overlapMicros(b);
                largest = Math.max(largest, overlap);
                assertThat(overlap).as("%s held by two workers at once: %s and %s", a.shardId(), a, b)
                        .isLessThanOrEqualTo(toleranceMicros);
            }
        }
        return largest;
    }

    /** How many times a shard's hold went from one worker to another (in order of the holds' starts). */
    static int leaseMoves(List<Event> events) {
        Map<String, Integer> lastHolder = new HashMap<>();
        int moves = 0;
        for (Hold h : holds(events)) {
            Integer previous = lastHolder.put(h.shardId(), h.file());
            if (previous != null && previous != h.file()) {
                moves++;
            }
        }
        return moves;
    }

    /**
     * The parent's {@code shardEnded} (journaled when KCL calls it, before its checkpoint) comes before the first
     * record processed on either child, whichever workers held them; no record of the parent is processed after it;
     * and the parent's SHARD_END checkpoint was written.
     */
    static void assertParentEndedBeforeChildren(List<Event> events, String parent, List<String> children) {
        Event ended = events.stream().filter(e -> e.type() == Event.Type.E && e.shardId().equals(parent))
                .findFirst().orElseThrow(() -> new AssertionError("shardEnded never called on " + parent));
        assertThat(events).as("SHARD_END checkpoint of " + parent)
                .anyMatch(e -> e.type() == Event.Type.X && e.shardId().equals(parent));
        for (String child : children) {
            Event first = events.stream().filter(e -> e.type() == Event.Type.P && e.shardId().equals(child))
                    .findFirst().orElseThrow(() -> new AssertionError("nothing processed on " + child));
            assertThat(first.micros()).as("first record of %s (%s) after %s ended", child, first.data(), parent)
                    .isGreaterThan(ended.micros());
        }
        assertThat(events.stream().filter(e -> e.type() == Event.Type.P && e.shardId().equals(parent))
                .allMatch(e -> e.micros() <= ended.micros())).as("no record of the parent after it ended").isTrue();
    }

    /**
     * Counts SDK calls by service and operation (and failed calls), for the clients that carry it: which retrieval
     * path KCL took, and whether it tried to publish metrics.
     *
     * <p>Thread-safe.
     */
    static final class Operations implements ExecutionInterceptor {
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            count(attributes, "");
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            count(attributes, "!failed");
            if (context.exception() instanceof AwsServiceException e && e.awsErrorDetails() != null) {
                // "DynamoDB.UpdateItem!AccessDeniedException": which calls an identity's policy refused.
                count(attributes, "!" + e.awsErrorDetails().errorCode());
            }
        }

        private void count(ExecutionAttributes attributes, String suffix) {
            String name = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + "."
                    + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME) + suffix;
            counts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        }

        int count(String serviceAndOperation) {
            AtomicInteger c = counts.get(serviceAndOperation);
            return c == null ? 0 : c.get();
        }

        Map<String, Integer> snapshot() {
            Map<String, Integer> s = new LinkedHashMap<>();
            new TreeMap<>(counts).forEach((k, v) -> s.put(k, v.get()));
            return s;
        }
    }
}
