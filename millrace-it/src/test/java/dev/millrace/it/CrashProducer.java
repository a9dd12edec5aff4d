package dev.millrace.it;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The channel crash tests' producer: writes PutRecords batches of records with unique ids, one in {@value
 * #INVALID_ONE_IN} invalid, never retrying, until {@link #finish}, and notes in its {@link Ledger} what was sent and
 * what the server acknowledged, while the server under it is killed and restarted.
 *
 * <p>A thread of its own; the ledger is thread-safe (concurrent collections).
 */
final class CrashProducer extends Thread {
    private static final int INVALID_ONE_IN = 30;

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

    void finish() throws InterruptedException {
        running = false;
        join(60_000);
        assertThat(isAlive()).as("the producer stopped").isFalse();
    }
}
