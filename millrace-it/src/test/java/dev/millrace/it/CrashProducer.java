package dev.millrace.it;

import dev.millrace.channels.s3.S3ProxyServer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The channel crash tests' producer: writes PutRecords batches of records with unique ids, one in {@value
 * #INVALID_ONE_IN} invalid, never retrying, until {@link #finish}, and notes in its {@link Ledger} what was sent and
 * what the server acknowledged, while the server under it is killed and restarted; and the checks the crash tests
 * share: sentinels that mark the end of each shard, and the dead letters counted per sequence number.
 *
 * <p>A thread of its own; the ledger is thread-safe (concurrent collections).
 */
final class CrashProducer extends Thread {
    private static final int INVALID_ONE_IN = 30;
    private static final Pattern SEQUENCE_NUMBER = Pattern.compile("\"sequenceNumber\":\"(\\d+)\"");

    /** A record's data: its id, its index in its batch, and whether it is valid (else it must be a dead letter). */
    @FunctionalInterface
    interface RecordText {
        String of(String id, int n, boolean valid);
    }

    /** What the producers sent and what the server acknowledged. */
    static final class Ledger {
        /** Every id sent, answered or not. */
        final Set<String> sent = ConcurrentHashMap.newKeySet();
        /** The ids of acknowledged valid records: they must be delivered. */
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        /** The ids of the invalid records sent. */
        final Set<String> invalidSent = ConcurrentHashMap.newKeySet();
        /** Acknowledged invalid records, sequence number to id: they must be dead letters. */
        final Map<String, String> deadLetters = new ConcurrentHashMap<>();
    }

    private final KinesisClient kinesis;
    private final String stream;
    private final String idPrefix;
    private final Ledger ledger;
    private final RecordText text;
    private final Random random;
    private volatile boolean running = true;

    CrashProducer(KinesisClient kinesis, String stream, String idPrefix, Ledger ledger, RecordText text, long seed) {
        super("channel-crash-producer");
        setDaemon(true);
        this.kinesis = kinesis;
        this.stream = stream;
        this.idPrefix = idPrefix;
        this.ledger = ledger;
        this.text = text;
        this.random = new Random(seed);
    }

    @Override
    public void run() {
        int next = 0;
        while (running) {
            List<String> ids = new ArrayList<>();
            List<Boolean> invalid = new ArrayList<>();
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            int size = 5 + random.nextInt(20);
            for (int i = 0; i < size; i++) {
                String id = idPrefix + next++;
                boolean bad = random.nextInt(INVALID_ONE_IN) == 0;
                ids.add(id);
                invalid.add(bad);
                ledger.sent.add(id);
                if (bad) {
                    ledger.invalidSent.add(id);
                }
                entries.add(PutRecordsRequestEntry.builder().partitionKey("pk" + random.nextInt(1_000))
                        .data(SdkBytes.fromUtf8String(text.of(id, i, !bad))).build());
            }
            try {
                PutRecordsResponse response = kinesis.putRecords(b -> b.streamName(stream).records(entries));
                for (int i = 0; i < ids.size(); i++) {
                    PutRecordsResultEntry result = response.records().get(i);
                    if (result.errorCode() == null && invalid.get(i)) {
                        ledger.deadLetters.put(result.sequenceNumber(), ids.get(i));
                    } else if (result.errorCode() == null) {
                        ledger.acknowledged.add(ids.get(i));
                    }
                }
                Thread.sleep(random.nextInt(30));
            } catch (SdkException e) {
                pause(); // the server is dying or dead: these records are unacknowledged
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Puts a sentinel last in every shard of {@code stream} (a valid record, {@code text}'s), noted in the ledger as
     * sent and acknowledged: once a shard's sentinel is delivered, everything before it in that shard is. Returns the
     * sentinels' ids.
     */
    static List<String> putSentinels(KinesisClient kinesis, String stream, Ledger ledger, RecordText text) {
        List<String> sentinels = new ArrayList<>();
        List<Shard> shards = Streams.shards(kinesis, stream);
        assertThat(shards).as("an on-demand stream's shards").hasSizeGreaterThan(1);
        for (Shard shard : shards) {
            String id = "sentinel-" + shard.shardId();
            ledger.sent.add(id);
            kinesis.putRecord(b -> b.streamName(stream).partitionKey("s")
                    .explicitHashKey(shard.hashKeyRange().startingHashKey())
                    .data(SdkBytes.fromUtf8String(text.of(id, 0, true))));
            ledger.acknowledged.add(id);
            sentinels.add(id);
        }
        return sentinels;
    }

    /**
     * How many times each sequence number is in the dead letters under {@code prefix} of {@code bucket} (they carry
     * no payload, hence no id).
     */
    static Map<String, Integer> deadLetterCounts(S3Client s3, String bucket, String prefix) {
        Map<String, Integer> counts = new HashMap<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            String text = new String(S3ProxyServer.get(s3, bucket, object.key()), StandardCharsets.UTF_8);
            for (String line : text.lines().toList()) {
                Matcher m = SEQUENCE_NUMBER.matcher(line);
                assertThat(m.find()).as("a dead letter with a sequence number: %s", line).isTrue();
                counts.merge(m.group(1), 1, Integer::sum);
            }
        }
        return counts;
    }

    void finish() throws InterruptedException {
        running = false;
        join(60_000);
        assertThat(isAlive()).as("the producer stopped").isFalse();
    }
}
