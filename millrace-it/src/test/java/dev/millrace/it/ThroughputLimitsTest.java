package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.nio.file.Path;
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
        try (KinesisClient retrying = Clients.sync(server.endpoint(), true, new Clients.Recorder());
             KinesisClient once = Clients.syncNoRetries(server.endpoint())) {
            Streams.createActive(retrying, "limited", 1);
            byte[] data = new byte[100 * 1024];
            Set<String> acknowledged = new HashSet<>();
            boolean throttled = false;
            for (int i = 0; i < 15 && !throttled; i++) {
                try {
                    acknowledged.add(once.putRecord(b -> b.streamName("limited").partitionKey("k")
                            .data(SdkBytes.fromByteArray(data))).sequenceNumber());
                } catch (ProvisionedThroughputExceededException e) {
                    throttled = true;
                }
            }
            assertThat(throttled).as("1 MiB/s is exceeded by the 11th 100 KiB record within a second").isTrue();
            for (int i = 0; i < 20; i++) {
                acknowledged.add(retrying.putRecord(b -> b.streamName("limited").partitionKey("k")
                        .data(SdkBytes.fromByteArray(data))).sequenceNumber());
            }
            List<Record> stored = Streams.readShard(retrying, "limited", "shardId-000000000000", 1000);
            assertThat(stored).extracting(Record::sequenceNumber).doesNotHaveDuplicates();
            assertThat(stored).extracting(Record::sequenceNumber).containsExactlyInAnyOrderElementsOf(acknowledged);
        }
    }
}
