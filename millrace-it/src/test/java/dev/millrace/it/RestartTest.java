package dev.millrace.it;

import dev.millrace.it.Streams.Written;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.EnhancedMetrics;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentInputStatus;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentOutput;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentOutputStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.Tag;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Durability across restarts of the real process: a clean stop (SIGTERM, exit 0) keeps everything, byte for byte and
 * under the same sequence numbers (100,000 records), every stream and account setting and a registered consumer;
 * SIGTERM or {@code kill -9} in the middle of concurrent writes loses no record that was acknowledged, and invents
 * none that was not sent. {@link KafkaRestartTest} runs the same on Kafka, where the node's restart finds it all in
 * the cluster.
 *
 * <p>Not thread-safe as a whole; the writer threads share only the thread-safe {@link Ledger}.
 */
class RestartTest {
    private static final Map<String, Integer> STREAMS = Map.of("restart-a", 2, "restart-b", 3, "restart-c", 1);
    private static final List<String> NAMES = List.of("restart-a", "restart-b", "restart-c");
    /** The stream whose settings must survive a restart. */
    private static final String SETTINGS_STREAM = "restart-c";
    private static final String KEY_ID = "alias/aws/kinesis";
    /** An enhanced fan-out consumer of {@link #SETTINGS_STREAM}, which must survive restarts as it was. */
    private static final String CONSUMER = "restart-app";

    @TempDir
    Path dataDir;

    /** What was acknowledged, per stream, and the keys of records sent without an acknowledgement. */
    static final class Ledger {
        final Map<String, Map<String, Written>> acked = new ConcurrentHashMap<>();
        final Set<String> unackedKeys = ConcurrentHashMap.newKeySet();
        final AtomicInteger count = new AtomicInteger();

        void ack(String stream, Written w) {
            acked.computeIfAbsent(stream, k -> new ConcurrentHashMap<>()).put(w.sequenceNumber(), w);
            count.incrementAndGet();
        }
    }

    @Test
    void cleanStopAndKill9KeepEveryAcknowledgedRecord() throws Exception {
        Ledger ledger = new Ledger();
        String oldIterator;
        List<Written> firstOfA;

        // 1. 100,000 records over three streams, settings on one of them and on the account, then a clean stop.
        try (MillraceProcess first = MillraceProcess.start(dataDir);
             KinesisClient kinesis = Clients.sync(first.endpoint(), true, new Clients.Recorder())) {
            STREAMS.forEach((name, shards) -> Streams.createActive(kinesis, name, shards));
            long writing = System.nanoTime();
            writeSequentially(kinesis, ledger, 100_000, new Random(1));
            System.out.printf("wrote %d records in %d ms%n", ledger.count.get(),
                    (System.nanoTime() - writing) / 1_000_000);
            assertThat(ledger.count.get()).isGreaterThanOrEqualTo(100_000);
            configureSettings(kinesis);
            oldIterator = kinesis.getShardIterator(b -> b.streamName("restart-a").shardId("shardId-000000000000")
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            firstOfA = Streams.readShardWritten(kinesis, "restart-a", "shardId-000000000000");
            assertThat(first.stop()).as("exit status after SIGTERM").isZero();
            assertThat(first.output()).contains("Millrace stopped");
        }

        // 2. Everything is back, byte for byte, with the same sequence numbers, settings included; then SIGTERM
        //    during writes.
        try (MillraceProcess second = MillraceProcess.start(dataDir);
             KinesisClient kinesis = Clients.sync(second.endpoint(), true, new Clients.Recorder())) {
            assertThat(kinesis.listStreams().streamNames()).containsExactlyElementsOf(NAMES);
            long reading = System.nanoTime();
            assertReadBackExactly(kinesis, ledger);
            System.out.printf("read back %d records in %d ms%n", ledger.count.get(),
                    (System.nanoTime() - reading) / 1_000_000);
            assertSettingsKept(kinesis);
            // iterators are signed with a key kept in the data dir, so they outlive a restart
            List<Record> again = kinesis.getRecords(b -> b.shardIterator(oldIterator).limit(3)).records();
            assertThat(again).extracting(Written::of).containsExactlyElementsOf(firstOfA.subList(0, 3));
            // new sequence numbers continue above the old ones
            PutRecordResponse next = kinesis.putRecord(b -> b.streamName("restart-a").partitionKey("after-restart")
                    .explicitHashKey("0").data(SdkBytes.fromUtf8String("next")));
            assertThat(next.shardId()).isEqualTo("shardId-000000000000");
            assertThat(Streams.compareSequence(next.sequenceNumber(),
                    firstOfA.get(firstOfA.size() - 1).sequenceNumber())).isPositive();
            ledger.ack("restart-a", new Written(next.sequenceNumber(), "after-restart", Streams.utf8("next")));

            int before = ledger.count.get();
            try (ConcurrentWriters writers = new ConcurrentWriters(second, ledger, 2)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> ledger.count.get() >= before + 1_500);
                assertThat(second.stop()).as("exit status after SIGTERM during writes").isZero();
                writers.awaitEnd();
            }
            assertThat(second.output()).contains("Millrace stopped");
        }

        // 3. Every acknowledged record survived the SIGTERM; then kill -9 during writes.
        try (MillraceProcess third = MillraceProcess.start(dataDir);
             KinesisClient kinesis = Clients.sync(third.endpoint(), true, new Clients.Recorder())) {
            int extra = assertEveryAckedRecordIsBack(kinesis, ledger, new HashMap<>());
            System.out.printf("after SIGTERM during writes: %d acknowledged, %d sent without an acknowledgement, "
                    + "%d of those stored%n", ledger.count.get(), ledger.unackedKeys.size(), extra);
            int before = ledger.count.get();
            int unackedBefore = ledger.unackedKeys.size();
            try (ConcurrentWriters writers = new ConcurrentWriters(third, ledger, 2)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> ledger.count.get() >= before + 1_500);
                third.kill9();
                writers.awaitEnd();
            }
            assertThat(ledger.unackedKeys.size()).as("the writers were cut off mid-call").isGreaterThan(unackedBefore);
        }

        // 4. Every acknowledged record survived kill -9, and the node works on as before.
        try (MillraceProcess fourth = MillraceProcess.start(dataDir);
             KinesisClient kinesis = Clients.sync(fourth.endpoint(), true, new Clients.Recorder())) {
            Map<String, String> newestByShard = new HashMap<>();
            int extra = assertEveryAckedRecordIsBack(kinesis, ledger, newestByShard);
            System.out.printf("after kill -9 during writes: %d acknowledged, %d sent without an acknowledgement, "
                    + "%d of those stored%n", ledger.count.get(), ledger.unackedKeys.size(), extra);
            for (String stream : NAMES) {
                for (Shard shard : Streams.shards(kinesis, stream)) {
                    String newest = newestByShard.get(stream + "/" + shard.shardId());
                    assertThat(newest).as("newest record of %s %s", stream, shard.shardId()).isNotNull();
                    PutRecordResponse r = kinesis.putRecord(b -> b.streamName(stream).partitionKey("final")
                            .explicitHashKey(shard.hashKeyRange().startingHashKey())
                            .data(SdkBytes.fromUtf8String("final")));
                    assertThat(r.shardId()).isEqualTo(shard.shardId());
                    assertThat(Streams.compareSequence(r.sequenceNumber(), newest))
                            .as("sequence numbers are never reused after kill -9 (%s %s)", stream, shard.shardId())
                            .isPositive();
                }
            }
            assertThat(fourth.stop()).isZero();
        }
    }

    @Test
    @EmbeddedOnly("--durability is the embedded engine's fsync policy; Kafka's is acks=all")
    void intervalDurabilityKeepsEverythingOverACleanStop() {
        Ledger ledger = new Ledger();
        try (MillraceProcess first = MillraceProcess.start(dataDir, "--durability", "interval");
             KinesisClient kinesis = Clients.sync(first.endpoint(), true, new Clients.Recorder())) {
            STREAMS.forEach((name, shards) -> Streams.createActive(kinesis, name, shards));
            writeSequentially(kinesis, ledger, 1_500, new Random(2));
            assertThat(first.stop()).isZero();
        }
        try (MillraceProcess second = MillraceProcess.start(dataDir);
             KinesisClient kinesis = Clients.sync(second.endpoint(), true, new Clients.Recorder())) {
            assertReadBackExactly(kinesis, ledger);
            assertThat(second.stop()).isZero();
        }
    }

    /** PutRecords of 500 and some single PutRecords, round robin over the streams, until {@code total}. */
    private static void writeSequentially(KinesisClient kinesis, Ledger ledger, int total, Random random) {
        int round = 0;
        while (ledger.count.get() < total) {
            String stream = NAMES.get(round % NAMES.size());
            if (round % 5 == 4) {
                for (int i = 0; i < 10; i++) {
                    String key = "single-" + round + "-" + i;
                    byte[] data = randomData(random);
                    PutRecordResponse r = kinesis.putRecord(b -> b.streamName(stream).partitionKey(key)
                            .data(SdkBytes.fromByteArray(data)));
                    ledger.ack(stream, new Written(r.sequenceNumber(), key, data));
                }
            } else {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("batch-" + round + "-" + i)
                            .data(SdkBytes.fromByteArray(randomData(random))).build());
                }
                PutRecordsResponse r = kinesis.putRecords(b -> b.streamName(stream).records(entries));
                assertThat(r.failedRecordCount()).isZero();
                for (int i = 0; i < entries.size(); i++) {
                    ledger.ack(stream, new Written(r.records().get(i).sequenceNumber(),
                            entries.get(i).partitionKey(), entries.get(i).data().asByteArray()));
                }
            }
            round++;
        }
    }

    /** 0 to 400 bytes, every byte value possible. */
    static byte[] randomData(Random random) {
        byte[] data = new byte[random.nextInt(401)];
        random.nextBytes(data);
        return data;
    }

    /** Reads every shard of every stream; exactly the acknowledged records, in sequence order. */
    private static void assertReadBackExactly(KinesisClient kinesis, Ledger ledger) {
        Map<String, Map<String, Written>> read = readAll(kinesis, new HashMap<>());
        for (String stream : NAMES) {
            Map<String, Written> got = read.get(stream);
            Map<String, Written> acked = ledger.acked.getOrDefault(stream, Map.of());
            assertThat(lostOrChanged(acked, got)).as("acknowledged records of %s lost or changed (of %d)", stream,
                    acked.size()).isEmpty();
            assertThat(got.keySet().stream().filter(k -> !acked.containsKey(k)).limit(10).toList())
                    .as("records of %s that were never acknowledged", stream).isEmpty();
        }
    }

    /**
     * Sequence numbers (at most 10) of expected records that are missing or differ in key or bytes; a plain map
     * assertion would print all 100,000 records when it fails.
     */
    private static List<String> lostOrChanged(Map<String, Written> expected, Map<String, Written> actual) {
        return expected.entrySet().stream().filter(e -> !e.getValue().equals(actual.get(e.getKey())))
                .map(Map.Entry::getKey).limit(10).toList();
    }

    /**
     * Every acknowledged record is there, unchanged; anything else was sent but not acknowledged (its request was
     * cut off), never something nobody sent.
     */
    private static int assertEveryAckedRecordIsBack(KinesisClient kinesis, Ledger ledger,
                                                    Map<String, String> newestByShard) {
        Map<String, Map<String, Written>> read = readAll(kinesis, newestByShard);
        int unacknowledged = 0;
        for (String stream : NAMES) {
            Map<String, Written> got = read.get(stream);
            Map<String, Written> acked = ledger.acked.getOrDefault(stream, Map.of());
            assertThat(lostOrChanged(acked, got)).as("acknowledged records of %s lost or changed (of %d)", stream,
                    acked.size()).isEmpty();
            for (Written w : got.values()) {
                if (!acked.containsKey(w.sequenceNumber())) {
                    assertThat(ledger.unackedKeys).as("an unacknowledged record must have been sent")
                            .contains(w.partitionKey());
                    unacknowledged++;
                }
            }
        }
        return unacknowledged;
    }

    /** Every setting the API can change, on {@link #SETTINGS_STREAM} and on the account. */
    private static void configureSettings(KinesisClient kinesis) {
        String arn = KinesisApiContract.arn(SETTINGS_STREAM);
        kinesis.addTagsToStream(b -> b.streamName(SETTINGS_STREAM).tags(Map.of("team", "data")));
        kinesis.tagResource(b -> b.resourceARN(arn).tags(Map.of("env", "test")));
        kinesis.increaseStreamRetentionPeriod(b -> b.streamName(SETTINGS_STREAM).retentionPeriodHours(48));
        kinesis.enableEnhancedMonitoring(b -> b.streamARN(arn).shardLevelMetrics(MetricsName.ALL));
        kinesis.startStreamEncryption(b -> b.streamARN(arn).encryptionType(EncryptionType.KMS).keyId(KEY_ID));
        Streams.awaitActive(kinesis, SETTINGS_STREAM);
        kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(2048));
        Streams.awaitActive(kinesis, SETTINGS_STREAM);
        kinesis.putResourcePolicy(b -> b.resourceARN(arn).policy(KinesisApiContract.policy(arn, "kinesis:GetRecords")));
        kinesis.updateAccountSettings(b -> b.minimumThroughputBillingCommitment(c ->
                c.status(MinimumThroughputBillingCommitmentInputStatus.ENABLED)));
        String consumerArn = kinesis.registerStreamConsumer(b -> b.streamARN(arn).consumerName(CONSUMER)).consumer()
                .consumerARN();
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStreamConsumer(b -> b
                .consumerARN(consumerArn)).consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
    }

    private static void assertSettingsKept(KinesisClient kinesis) {
        String arn = KinesisApiContract.arn(SETTINGS_STREAM);
        StreamDescriptionSummary s = kinesis.describeStreamSummary(b -> b.streamName(SETTINGS_STREAM))
                .streamDescriptionSummary();
        assertThat(s.retentionPeriodHours()).isEqualTo(48);
        assertThat(s.encryptionType()).isEqualTo(EncryptionType.KMS);
        assertThat(s.keyId()).isEqualTo(KEY_ID);
        assertThat(s.maxRecordSizeInKiB()).isEqualTo(2048);
        assertThat(s.enhancedMonitoring()).flatExtracting(EnhancedMetrics::shardLevelMetrics)
                .containsExactlyInAnyOrderElementsOf(KinesisApiContract.EVERY_METRIC);
        assertThat(kinesis.listTagsForResource(b -> b.resourceARN(arn)).tags()).extracting(Tag::key, Tag::value)
                .containsExactlyInAnyOrder(tuple("team", "data"), tuple("env", "test"));
        assertThat(kinesis.getResourcePolicy(b -> b.resourceARN(arn)).policy())
                .isEqualTo(KinesisApiContract.policy(arn, "kinesis:GetRecords"));
        MinimumThroughputBillingCommitmentOutput commitment = kinesis.describeAccountSettings(b -> { })
                .minimumThroughputBillingCommitment();
        assertThat(commitment.status()).isEqualTo(MinimumThroughputBillingCommitmentOutputStatus.ENABLED);
        assertThat(commitment.startedAt()).isNotNull();
        assertThat(kinesis.describeStreamSummary(b -> b.streamName("restart-a")).streamDescriptionSummary()
                .encryptionType()).as("settings stay on their stream").isEqualTo(EncryptionType.NONE);
        assertThat(kinesis.listStreamConsumers(b -> b.streamARN(arn)).consumers())
                .extracting(Consumer::consumerName, Consumer::consumerStatus)
                .containsExactly(tuple(CONSUMER, ConsumerStatus.ACTIVE));
    }

    /**
     * stream → sequence number → record, read in GetRecords calls of up to 10,000; also checks sequence numbers rise
     * within each shard, and notes each shard's newest sequence number in {@code newestByShard} ("stream/shardId").
     */
    private static Map<String, Map<String, Written>> readAll(KinesisClient kinesis,
                                                             Map<String, String> newestByShard) {
        Map<String, Map<String, Written>> all = new HashMap<>();
        for (String stream : NAMES) {
            Map<String, Written> records = new HashMap<>();
            for (Shard shard : Streams.shards(kinesis, stream)) {
                List<Written> read = Streams.readShard(kinesis, stream, shard.shardId(), 10_000).stream()
                        .map(Written::of).toList();
                for (int i = 1; i < read.size(); i++) {
                    assertThat(Streams.compareSequence(read.get(i).sequenceNumber(),
                            read.get(i - 1).sequenceNumber())).isPositive();
                }
                read.forEach(w -> assertThat(records.put(w.sequenceNumber(), w)).isNull());
                if (!read.isEmpty()) {
                    newestByShard.put(stream + "/" + shard.shardId(), read.get(read.size() - 1).sequenceNumber());
                }
            }
            all.put(stream, records);
        }
        return all;
    }

    /**
     * Writer threads putting batches of 50 records round robin over the streams, with clients that never retry, until
     * a call fails (the server went away) or they are closed. Acknowledged records go to the ledger; the keys of
     * failed calls and failed entries to its unacknowledged set.
     */
    private static final class ConcurrentWriters implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<KinesisClient> clients = new ArrayList<>();

        ConcurrentWriters(MillraceProcess server, Ledger ledger, int count) {
            for (int t = 0; t < count; t++) {
                KinesisClient kinesis = Clients.syncNoRetries(server.endpoint());
                clients.add(kinesis);
                Random random = new Random(100 + t);
                String prefix = "w" + server.pid() + "-" + t + "-";
                Thread thread = new Thread(() -> write(kinesis, ledger, random, prefix), "writer-" + t);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        private void write(KinesisClient kinesis, Ledger ledger, Random random, String prefix) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            for (int round = 0; !stop.get() && System.nanoTime() < deadline; round++) {
                String stream = NAMES.get(round % NAMES.size());
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey(prefix + round + "-" + i)
                            .data(SdkBytes.fromByteArray(randomData(random))).build());
                }
                PutRecordsResponse r;
                try {
                    r = kinesis.putRecords(b -> b.streamName(stream).records(entries));
                } catch (RuntimeException e) {
                    entries.forEach(entry -> ledger.unackedKeys.add(entry.partitionKey()));
                    return;
                }
                for (int i = 0; i < entries.size(); i++) {
                    PutRecordsResultEntry result = r.records().get(i);
                    PutRecordsRequestEntry entry = entries.get(i);
                    if (result.errorCode() == null) {
                        ledger.ack(stream, new Written(result.sequenceNumber(), entry.partitionKey(),
                                entry.data().asByteArray()));
                    } else {
                        ledger.unackedKeys.add(entry.partitionKey());
                    }
                }
            }
        }

        void awaitEnd() throws InterruptedException {
            for (Thread t : threads) {
                t.join(120_000);
                assertThat(t.isAlive()).as("writer ended").isFalse();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            awaitEnd();
            clients.forEach(KinesisClient::close);
        }
    }
}
