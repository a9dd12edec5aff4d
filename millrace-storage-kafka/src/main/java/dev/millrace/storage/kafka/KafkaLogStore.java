package dev.millrace.storage.kafka;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.crypto.KeyRing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The Kafka {@link LogStore}: every shard a single-partition topic {@code <prefix>shard.<shardKey>}
 * ({@link ShardTopics} lists how it is created, {@link RecordLayout} how records look, {@link KafkaShardLog} how a
 * log behaves).
 *
 * <p>Clients, all bounded, shared by every shard: one {@link Admin}; one idempotent {@link KafkaProducer}
 * ({@code acks=all}, at most 5 requests in flight per broker, {@code linger.ms} 0, a 20 s delivery timeout, well below
 * the AWS SDKs' own, so a write that cannot be replicated fails as retryable instead of hanging; a topic's metadata
 * dropped 5 s after its last write, see {@link #PRODUCER_METADATA_IDLE_MS}); and a pool of at most
 * {@value #MAX_READERS} consumers ({@link ConsumerPool}); and one more consumer, made only once a shard has an append
 * listener, that watches the tails of the shards with listeners for other nodes' appends ({@link TailWatcher}). The
 * operator's client properties ({@link KafkaStorageConfig#clientProperties}) override every setting here.
 *
 * <p>Open logs are cached for the life of the store (a log holds no Kafka resources of its own, only a few fields and
 * its listeners, so the cache is bounded by the shards that exist, as in the embedded engine). Opening a log costs a
 * few admin round trips (its topic's configuration and leader, its end offset); creating one waits until its partition
 * has a leader.
 *
 * <p>Kafka refuses to create a topic whose name differs from an existing one only in '.' versus '_' (their metric
 * names would collide); such a shard key fails to open with a StorageException saying so.
 *
 * <p>Thread-safe.
 */
public final class KafkaLogStore implements LogStore {
    private static final Pattern SHARD_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,200}");
    /** How long a topic found to exist may stay unknown to the broker asked for its end offset. */
    private static final long NEW_TOPIC_PROPAGATION_MS = 5_000;
    /** Retention of a newly created shard until its owner sets one: Kinesis's default of 24 hours. */
    static final long DEFAULT_RETENTION_MS = 24L * 60 * 60 * 1000;
    static final int MAX_READERS = 8;
    static final long ADMIN_TIMEOUT_MS = 15_000;
    static final long DELIVERY_TIMEOUT_MS = 20_000;
    static final long READ_TIMEOUT_MS = 5_000;
    /** How long a send may block (metadata of a new topic, a full buffer) and a request may wait for an answer. */
    private static final long PRODUCER_BLOCK_MS = 10_000;
    /**
     * How long the shared producer keeps asking for metadata of a shard it no longer writes: Kafka's minimum, not its
     * 5 minutes. Every full metadata refresh asks for each topic the producer holds, and asks with auto-creation on
     * (the producer has no setting to turn that off). So for that long after a deleted shard's last write, a refresh
     * gets UNKNOWN_TOPIC_OR_PARTITION, logs a WARN and retries about once a second; and a broker with
     * {@code auto.create.topics.enable=true} (Apache Kafka's default) would create the topic again, empty and with
     * the broker's defaults. The cost: the first append to a shard idle that long waits for one metadata round trip.
     */
    static final long PRODUCER_METADATA_IDLE_MS = 5_000;
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final Logger log = LoggerFactory.getLogger(KafkaLogStore.class);

    /** What every shard log of the store shares. */
    record Shared(ShardTopics topics, Producer<byte[], byte[]> producer, ConsumerPool readers, TailWatcher watcher,
                  Clock clock, long sendTimeoutMs, long readTimeoutMs, RecentAppends.Budget recent, KeyRing keys) {
    }

    /**
     * What the shards' recent appends ({@link RecentAppends}) may hold together: an eighth of the heap, at most
     * 256 MiB. Each shard keeps at most {@link KafkaShardLog#RECENT_SHARD_BYTES}.
     */
    static long recentAppendsBudgetBytes() {
        return Math.min(256L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 8);
    }

    private final KafkaStorageConfig config;
    private final Shared shared;
    private final ConcurrentHashMap<String, KafkaShardLog> logs = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private KafkaLogStore(KafkaStorageConfig config, Shared shared) {
        this.config = config;
        this.shared = shared;
    }

    /**
     * Connects to the cluster (failing at once if it cannot be reached); creates nothing until a log is opened.
     * Encrypted records cannot be read: {@link KafkaStorage#open(KafkaStorageConfig, Clock, KeyRing)} opens a store
     * with keys.
     */
    public static KafkaLogStore open(KafkaStorageConfig config, Clock clock) {
        return open(config, clock, KafkaLogStore::newProducer);
    }

    static Producer<byte[], byte[]> newProducer(Map<String, Object> settings) {
        return new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Like {@link #open(KafkaStorageConfig, Clock)}, the producer made by {@code producers} from its settings (a seam
     * for tests that hold a send in flight). */
    static KafkaLogStore open(KafkaStorageConfig config, Clock clock,
                              Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        return open(config, clock, producers, recentAppendsBudgetBytes());
    }

    /** Like {@link #open(KafkaStorageConfig, Clock)}, the recent appends bounded by {@code recentBudgetBytes} (0: every
     * read goes to Kafka, for tests of that path). */
    static KafkaLogStore open(KafkaStorageConfig config, Clock clock,
                              Function<Map<String, Object>, Producer<byte[], byte[]>> producers,
                              long recentBudgetBytes) {
        return open(config, clock, producers, recentBudgetBytes, KeyRing.NONE);
    }

    /** Like {@link #open(KafkaStorageConfig, Clock, Function, long)}, reading encrypted records with {@code keys}. */
    static KafkaLogStore open(KafkaStorageConfig config, Clock clock,
                              Function<Map<String, Object>, Producer<byte[], byte[]>> producers,
                              long recentBudgetBytes, KeyRing keys) {
        java.util.Objects.requireNonNull(keys, "keys");
        String id = "millrace-log-" + INSTANCES.incrementAndGet();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            Admin admin = Admin.create(config.clientConfig(Map.of(
                    AdminClientConfig.CLIENT_ID_CONFIG, id + "-admin",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PRODUCER_BLOCK_MS,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS)));
            ShardTopics topics = new ShardTopics(admin, config, ADMIN_TIMEOUT_MS);
            opened.add(topics);
            topics.brokerCount();
            if (topics.brokersCreateTopicsOnDemand()) {
                log.warn("The Kafka brokers at {} create topics on demand (auto.create.topics.enable=true): a shard"
                        + " deleted within {} ms of its last write may have its topic created again, empty, by a"
                        + " producer's metadata refresh. Set auto.create.topics.enable=false on the brokers.",
                        config.bootstrapServers(), PRODUCER_METADATA_IDLE_MS);
            }
            Map<String, Object> producerConfig = config.clientConfig(producerSettings(id));
            Producer<byte[], byte[]> producer = producers.apply(producerConfig);
            opened.add(producer);
            Map<String, Object> consumerConfig = config.clientConfig(consumerSettings(id));
            AtomicInteger readerNumber = new AtomicInteger();
            ConsumerPool readers = new ConsumerPool(() -> {
                // A client id per consumer: Kafka registers each client's metrics under it.
                Map<String, Object> own = new HashMap<>(consumerConfig);
                own.put(ConsumerConfig.CLIENT_ID_CONFIG, consumerConfig.get(ConsumerConfig.CLIENT_ID_CONFIG) + "-"
                        + readerNumber.incrementAndGet());
                return new KafkaConsumer<>(own, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            }, MAX_READERS, READ_TIMEOUT_MS);
            Map<String, Object> watcherConfig = config.clientConfig(watcherSettings(id));
            TailWatcher watcher = new TailWatcher(id, () -> new KafkaConsumer<>(watcherConfig,
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()), topics, clock);
            // Acknowledgements always come within the delivery timeout (the operator's, if set); a margin on top.
            long sendTimeoutMs = Long.parseLong(producerConfig.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)
                    .toString()) + PRODUCER_BLOCK_MS;
            return new KafkaLogStore(config, new Shared(topics, producer, readers, watcher, clock, sendTimeoutMs,
                    READ_TIMEOUT_MS, new RecentAppends.Budget(recentBudgetBytes), keys));
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e instanceof StorageException ? e : KafkaErrors.convert("connecting to Kafka at "
                    + config.bootstrapServers(), e);
        }
    }

    private static Map<String, Object> producerSettings(String id) {
        return Map.ofEntries(
                Map.entry(ProducerConfig.CLIENT_ID_CONFIG, id + "-producer"),
                Map.entry(ProducerConfig.ACKS_CONFIG, "all"),
                Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                Map.entry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5),
                // Send at once: under load records still gather while earlier requests are in flight (up to 5 per
                // broker), and waiting 2 ms more halved nothing but a lone PutRecord's latency (measured in
                // docs/BENCHMARKS.md: p50 3.6 -> 1.4 ms, the same records/s and broker CPU under PutRecords load).
                Map.entry(ProducerConfig.LINGER_MS_CONFIG, 0),
                Map.entry(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024),
                Map.entry(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024),
                Map.entry(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, RecordLayout.MAX_MESSAGE_BYTES),
                Map.entry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT_MS),
                // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
                Map.entry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PRODUCER_BLOCK_MS),
                Map.entry(ProducerConfig.MAX_BLOCK_MS_CONFIG, PRODUCER_BLOCK_MS),
                Map.entry(ProducerConfig.METADATA_MAX_IDLE_CONFIG, PRODUCER_METADATA_IDLE_MS));
    }

    private static Map<String, Object> consumerSettings(String id) {
        return Map.ofEntries(
                Map.entry(ConsumerConfig.CLIENT_ID_CONFIG, id + "-reader"),
                Map.entry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                // A reader of a shard deleted elsewhere must not make a broker that auto-creates topics create it anew.
                Map.entry(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false),
                // A position below the start is handled by the read (it moves forward); nothing is reset silently.
                Map.entry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"),
                Map.entry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"),
                // Kinesis answers at once: a fetch waits for data only briefly.
                Map.entry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10),
                Map.entry(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, RecordLayout.MAX_MESSAGE_BYTES),
                Map.entry(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, RecordLayout.MAX_MESSAGE_BYTES),
                // The operating system's socket buffer, which grows as needed, instead of Kafka's fixed 64 KiB: a fetch
                // of up to 10 MiB otherwise crosses in 64 KiB steps, each waiting for the next poll (Kafka's own
                // consumer perf tool uses 2 MiB for the same reason).
                Map.entry(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1),
                // GetRecords returns at most 10,000 records.
                Map.entry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000),
                Map.entry(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PRODUCER_BLOCK_MS),
                Map.entry(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS));
    }

    /**
     * The tail watcher's consumer ({@link TailWatcher}): the readers' settings, but fetches that wait at the broker
     * longer (it only waits for new records) and bring less at once (it only needs their offsets and times); a
     * position out of range (the log start moved past a stale end) goes to the end, since it only announces.
     */
    private static Map<String, Object> watcherSettings(String id) {
        Map<String, Object> settings = new HashMap<>(consumerSettings(id));
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, id + "-tail-watcher");
        settings.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) TailWatcher.FETCH_MAX_WAIT_MS);
        settings.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, TailWatcher.PARTITION_FETCH_BYTES);
        settings.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, TailWatcher.FETCH_MAX_BYTES);
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, TailWatcher.MAX_POLL_RECORDS);
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        return settings;
    }

    @Override
    public ShardLog openOrCreate(String shardKey) {
        checkKey(shardKey);
        checkOpen();
        return logs.computeIfAbsent(shardKey, k -> open(k, true));
    }

    @Override
    public Optional<ShardLog> openIfExists(String shardKey) {
        checkKey(shardKey);
        checkOpen();
        // Inside the map's atomic step: a null result leaves the map unchanged, and no topic is created.
        return Optional.ofNullable(logs.computeIfAbsent(shardKey, k -> open(k, false)));
    }

    /** Opens the shard's log from its topic, creating the topic if {@code create}; null if absent and not created. */
    private KafkaShardLog open(String shardKey, boolean create) {
        String topic = config.shardTopic(shardKey);
        ShardTopics topics = shared.topics();
        try {
            TopicPartition partition = new TopicPartition(topic, 0);
            ShardTopics.TopicState state = topics.state(topic);
            if (state == null) {
                if (!create) {
                    return null;
                }
                boolean created = topics.create(topic, DEFAULT_RETENTION_MS);
                topics.awaitLeader(topic);
                if (created) {
                    // Empty, so its end is 0: no need to ask, and on several brokers the one asked may not know the
                    // topic yet (UNKNOWN_TOPIC_OR_PARTITION moments after another answered with its leader).
                    return new KafkaShardLog(shardKey, partition, shared,
                            new ShardTopics.TopicState(false, DEFAULT_RETENTION_MS), 0);
                }
                state = topics.state(topic);
                if (state == null) {
                    throw new StorageException("topic " + topic + " vanished while shard " + shardKey + " was opened");
                }
            } else {
                topics.awaitLeader(topic);
            }
            return new KafkaShardLog(shardKey, partition, shared, state, endOffsetOnceKnown(topics, partition));
        } catch (StorageException e) {
            if (e.getCause() instanceof InvalidTopicException) {
                throw new StorageException("Kafka refuses topic " + topic + " for shard " + shardKey
                        + " (a topic differing only in '.' versus '_' exists?): " + e.getCause().getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * The end offset of a topic that exists, asking again for a few seconds while the broker asked does not know the
     * topic yet: on several brokers, a topic another client created a moment ago is UNKNOWN_TOPIC_OR_PARTITION to
     * the ones its creation has not reached (seen as a failed first write on three nodes).
     */
    private static long endOffsetOnceKnown(ShardTopics topics, TopicPartition partition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NEW_TOPIC_PROPAGATION_MS);
        while (true) {
            try {
                return topics.latestOffset(partition);
            } catch (StorageException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while opening " + partition, e);
            }
        }
    }

    @Override
    public boolean exists(String shardKey) {
        checkKey(shardKey);
        return logs.containsKey(shardKey) || shared.topics().exists(config.shardTopic(shardKey));
    }

    @Override
    public void delete(String shardKey) {
        checkKey(shardKey);
        KafkaShardLog log = logs.remove(shardKey);
        if (log != null) {
            log.close();
            shared.readers().forget(log);
        }
        shared.topics().delete(config.shardTopic(shardKey));
    }

    /** See {@link LogStore#release}; the log object stays, with its listeners ({@link KafkaShardLog} explains). */
    @Override
    public void release(String shardKey) {
        checkKey(shardKey);
        KafkaShardLog log = logs.get(shardKey);
        if (log != null) {
            log.release();
        }
    }

    @Override
    public List<String> shardKeys() {
        String prefix = config.shardTopic("");
        List<String> keys = new ArrayList<>();
        for (String topic : shared.topics().topicsStartingWith(prefix)) {
            keys.add(topic.substring(prefix.length()));
        }
        return keys;
    }

    /** Returns 0: Kafka's retention reclaims the space (see {@link KafkaShardLog}). */
    @Override
    public int trimExpired() {
        int removed = 0;
        for (KafkaShardLog log : logs.values()) {
            removed += log.trimExpired();
        }
        return removed;
    }

    /** The partitions the tail watcher fetches now, for tests. */
    Set<TopicPartition> watchedPartitions() {
        return shared.watcher().assigned();
    }

    /** Readers in the pool now, for tests. */
    int readerCount() {
        return shared.readers().size();
    }

    /** Refuses further appends, waits for the producer to deliver what it holds, and closes every client. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (KafkaShardLog log : logs.values()) {
            log.close();
        }
        RuntimeException failure = null;
        for (AutoCloseable c : List.<AutoCloseable>of(shared.watcher(),
                () -> shared.producer().close(Duration.ofMillis(shared.sendTimeoutMs())),
                shared.readers(), shared.topics())) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = KafkaErrors.convert("closing the Kafka log store", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new StorageException("the Kafka log store is closed");
        }
    }

    private static void checkKey(String shardKey) {
        if (shardKey == null || !SHARD_KEY.matcher(shardKey).matches() || shardKey.startsWith(".")) {
            throw new IllegalArgumentException("invalid shard key: " + shardKey);
        }
    }
}
