package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * AWS's per-shard write limit against the real SDK: a client without retries sees
 * ProvisionedThroughputExceededException; the SDK's default retry policy treats it as throttling and retries, and
 * every record it was told was stored is there exactly once.
 */
class ThroughputLimitsTest {
    @TempDir
    static Path dir;
    private static MillraceProcess server;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"), "--throughput-limits", "on");
    }

    @AfterAll
    static void stop() {
        assertThat(server.stop()).isZero();
    }

    @Test
    void throttledWritesAreRetriedByTheSdkAndStoredOnce() {
        // Each retried record needs most of a second of refill; 10 attempts of standard backoff always span that,
        // the default 3 sometimes do not (their jittered delays can add up to less).
        try (KinesisClient retrying = Clients.syncRetrying(server.endpoint(), 10);
             KinesisClient once = Clients.syncNoRetries(server.endpoint())) {
            Streams.createActive(retrying, "limited", 1);
            Set<String> acknowledged = new HashSet<>();
            // Drain the shard's 1 MiB/s allowance in one request, so the next write is throttled however slow the
            // machine is: refilling enough for a 1,000,000-byte record takes most of a second.
            List<PutRecordsRequestEntry> tenth = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tenth.add(PutRecordsRequestEntry.builder().partitionKey("k")
                        .data(SdkBytes.fromByteArray(new byte[100 * 1024])).build());
            }
            var drained = once.putRecords(b -> b.streamName("limited").records(tenth));
            assertThat(drained.failedRecordCount()).isZero();
            drained.records().forEach(r -> acknowledged.add(r.sequenceNumber()));
            byte[] big = new byte[1_000_000];
            // A machine so loaded that most of a second passed since the drain lets one through, and that one
            // drains the allowance again: a throttle must come within a few back-to-back tries.
            ProvisionedThroughputExceededException throttled = null;
            for (int attempt = 0; attempt < 5 && throttled == null; attempt++) {
                try {
                    acknowledged.add(once.putRecord(b -> b.streamName("limited").partitionKey("k")
                            .data(SdkBytes.fromByteArray(big))).sequenceNumber());
                } catch (ProvisionedThroughputExceededException e) {
                    throttled = e;
                }
            }
            assertThat(throttled).as("a put beyond the shard's 1 MiB/s allowance is throttled").isNotNull();
            for (int i = 0; i < 3; i++) {
                acknowledged.add(retrying.putRecord(b -> b.streamName("limited").partitionKey("k")
                        .data(SdkBytes.fromByteArray(big))).sequenceNumber());
            }
            List<Record> stored = Streams.readShard(retrying, "limited", "shardId-000000000000", 1000);
            assertThat(stored).extracting(Record::sequenceNumber).doesNotHaveDuplicates();
            assertThat(stored).extracting(Record::sequenceNumber).containsExactlyInAnyOrderElementsOf(acknowledged);
        }
    }
}
