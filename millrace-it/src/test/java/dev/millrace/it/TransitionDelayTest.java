package dev.millrace.it;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Stream statuses with a server whose transitions take time ({@code --transition-delay-ms 300}; the other suites run
 * with 0): CREATING, UPDATING and DELETING last the delay, management calls meanwhile get ResourceInUseException,
 * and writes go on while a stream is UPDATING, as the API reference describes.
 *
 * <p>What a client sees right after a change is only certain if it looked within the delay. The client measures from
 * before its request: if the whole sequence came back sooner than the delay, the server answered it all inside the
 * transitional state, so the checks hold exactly; on a machine so slow that it did not, the test is aborted (never
 * passed on a guess).
 *
 * <p>Not thread-safe; one test.
 */
class TransitionDelayTest {
    private static final long DELAY_MS = 300;
    /** Room for the server's millisecond clock, which may settle a transition up to 1 ms early. */
    private static final long WINDOW_MS = DELAY_MS - 10;

    @TempDir
    Path dataDir;

    @Test
    void transitionalStatusesLastTheDelayAndRefuseManagementCalls() {
        try (MillraceProcess server = MillraceProcess.startWithTransitionDelay(dataDir, DELAY_MS);
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            String name = "transitions-s";
            String arn = KinesisApiContract.arn(name);
            warmUp(kinesis, name);

            // CREATING, then ACTIVE once the delay has passed; management calls are refused meanwhile
            long created = System.nanoTime();
            kinesis.createStream(b -> b.streamName(name).shardCount(1));
            StreamStatus creating = status(kinesis, name);
            Throwable retentionWhileCreating = catchThrowable(() -> kinesis.increaseStreamRetentionPeriod(b ->
                    b.streamName(name).retentionPeriodHours(48)));
            assumeInsideTheDelay(created, "CREATING");
            assertThat(creating).isEqualTo(StreamStatus.CREATING);
            assertNotActive(retentionWhileCreating, name, "CREATING");
            awaitStatus(kinesis, name, StreamStatus.ACTIVE);
            assertThat(millisSince(created)).as("CREATING lasts the delay").isGreaterThanOrEqualTo(DELAY_MS);
            assertThat(summary(kinesis, name).retentionPeriodHours()).as("the refused call changed nothing")
                    .isEqualTo(24);

            // StartStreamEncryption: UPDATING, during which records are still written and read
            long started = System.nanoTime();
            kinesis.startStreamEncryption(b -> b.streamARN(arn).encryptionType(EncryptionType.KMS)
                    .keyId("alias/aws/kinesis"));
            StreamStatus updating = status(kinesis, name);
            Throwable sizeWhileUpdating = catchThrowable(() -> kinesis.updateMaxRecordSize(b -> b.streamARN(arn)
                    .maxRecordSizeInKiB(2048)));
            Throwable monitoringWhileUpdating = catchThrowable(() -> kinesis.enableEnhancedMonitoring(b ->
                    b.streamName(name).shardLevelMetrics(MetricsName.ALL)));
            PutRecordResponse written = kinesis.putRecord(b -> b.streamName(name).partitionKey("k")
                    .data(SdkBytes.fromUtf8String("written while updating")));
            String iterator = kinesis.getShardIterator(b -> b.streamName(name).shardId(written.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            List<String> read = new ArrayList<>();
            kinesis.getRecords(b -> b.shardIterator(iterator)).records()
                    .forEach(r -> read.add(r.data().asUtf8String()));
            assumeInsideTheDelay(started, "UPDATING");
            assertThat(updating).isEqualTo(StreamStatus.UPDATING);
            assertNotActive(sizeWhileUpdating, name, "UPDATING");
            assertNotActive(monitoringWhileUpdating, name, "UPDATING");
            assertThat(read).containsExactly("written while updating");
            awaitStatus(kinesis, name, StreamStatus.ACTIVE);
            assertThat(millisSince(started)).as("UPDATING lasts the delay").isGreaterThanOrEqualTo(DELAY_MS);
            StreamDescriptionSummary encrypted = summary(kinesis, name);
            assertThat(encrypted.encryptionType()).isEqualTo(EncryptionType.KMS);
            assertThat(encrypted.maxRecordSizeInKiB()).isEqualTo(1024);
            assertThat(encrypted.enhancedMonitoring()).allSatisfy(m -> assertThat(m.shardLevelMetrics()).isEmpty());

            // UpdateMaxRecordSize passes through UPDATING too
            long resized = System.nanoTime();
            kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(2048));
            StreamStatus resizing = status(kinesis, name);
            assumeInsideTheDelay(resized, "UPDATING");
            assertThat(resizing).isEqualTo(StreamStatus.UPDATING);
            awaitStatus(kinesis, name, StreamStatus.ACTIVE);
            assertThat(summary(kinesis, name).maxRecordSizeInKiB()).isEqualTo(2048);

            // DELETING, then gone; a policy cannot be attached to a stream on its way out
            long deleted = System.nanoTime();
            kinesis.deleteStream(b -> b.streamName(name));
            StreamStatus deleting = status(kinesis, name);
            Throwable retentionWhileDeleting = catchThrowable(() -> kinesis.increaseStreamRetentionPeriod(b ->
                    b.streamName(name).retentionPeriodHours(48)));
            Throwable policyWhileDeleting = catchThrowable(() -> kinesis.putResourcePolicy(b -> b.resourceARN(arn)
                    .policy(KinesisApiContract.policy(arn, "kinesis:GetRecords"))));
            assumeInsideTheDelay(deleted, "DELETING");
            assertThat(deleting).isEqualTo(StreamStatus.DELETING);
            assertNotActive(retentionWhileDeleting, name, "DELETING");
            assertNotActive(policyWhileDeleting, name, "DELETING");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                    assertThatThrownBy(() -> kinesis.describeStreamSummary(b -> b.streamName(name)))
                            .isInstanceOf(ResourceNotFoundException.class));
            assertThat(millisSince(deleted)).as("DELETING lasts the delay").isGreaterThanOrEqualTo(DELAY_MS);
            assertThat(kinesis.listStreams().streamNames()).doesNotContain(name);

            // a stream created again under the name starts afresh: no encryption, no policy
            kinesis.createStream(b -> b.streamName(name).shardCount(1));
            awaitStatus(kinesis, name, StreamStatus.ACTIVE);
            assertThat(summary(kinesis, name).encryptionType()).isEqualTo(EncryptionType.NONE);
            assertThat(kinesis.getResourcePolicy(b -> b.resourceARN(arn)).policy()).isEqualTo("{}");
            assertThat(server.stop()).as("exit status after SIGTERM").isZero();
        }
    }

    /**
     * Makes every call the timed sequences use once, so that none of them pays for class loading or a first
     * connection inside the window.
     */
    private static void warmUp(KinesisClient kinesis, String name) {
        String warm = name + "-warm-up";
        String missing = name + "-missing";
        String missingArn = KinesisApiContract.arn(missing);
        kinesis.createStream(b -> b.streamName(warm).shardCount(1));
        awaitStatus(kinesis, warm, StreamStatus.ACTIVE);
        List<ThrowingCallable> calls = List.of(
                () -> kinesis.increaseStreamRetentionPeriod(b -> b.streamName(missing).retentionPeriodHours(48)),
                () -> kinesis.startStreamEncryption(b -> b.streamARN(missingArn).encryptionType(EncryptionType.KMS)
                        .keyId("alias/aws/kinesis")),
                () -> kinesis.updateMaxRecordSize(b -> b.streamARN(missingArn).maxRecordSizeInKiB(2048)),
                () -> kinesis.enableEnhancedMonitoring(b -> b.streamName(missing).shardLevelMetrics(MetricsName.ALL)),
                () -> kinesis.putResourcePolicy(b -> b.resourceARN(missingArn).policy("{}")),
                () -> kinesis.deleteStream(b -> b.streamName(missing)),
                () -> kinesis.putRecord(b -> b.streamName(warm).partitionKey("k").data(SdkBytes.fromUtf8String("w"))),
                () -> kinesis.getRecords(b -> b.shardIterator(kinesis.getShardIterator(i -> i.streamName(warm)
                        .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                        .shardIterator())));
        calls.forEach(call -> catchThrowable(call));
        kinesis.deleteStream(b -> b.streamName(warm));
    }

    private static void assumeInsideTheDelay(long startNanos, String status) {
        assumeThat(millisSince(startNanos)).as("the client saw the stream within the %d ms it stays %s; this "
                + "machine was too slow to look", WINDOW_MS, status).isLessThan(WINDOW_MS);
    }

    private static void assertNotActive(Throwable thrown, String name, String status) {
        assertThat(thrown).isInstanceOfSatisfying(ResourceInUseException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(400);
            assertThat(e.awsErrorDetails().errorMessage()).contains(name).contains(status);
        });
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static StreamDescriptionSummary summary(KinesisClient kinesis, String name) {
        return kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary();
    }

    private static StreamStatus status(KinesisClient kinesis, String name) {
        return summary(kinesis, name).streamStatus();
    }

    private static void awaitStatus(KinesisClient kinesis, String name, StreamStatus status) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> status(kinesis, name) == status);
    }
}
