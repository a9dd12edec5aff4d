package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Encryption at rest with {@code --kms-keys}: StartStreamEncryption with an alias; records written while it is on
 * never appear in plain bytes anywhere in storage (the data directory, or the Kafka cluster's files), while records
 * written before or after do, so the scan can fail; every record reads back; DescribeStreamSummary shows the
 * encryption; a key disabled in the file (SIGHUP) makes reads and writes of what it encrypts fail with AWS's
 * KMSDisabledException, an unknown key KMSNotFoundException.
 */
class EncryptionTest {
    private static final String KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";

    @TempDir
    static Path work;
    private static Path keyFile;
    private static MillraceProcess server;
    private static KinesisClient kinesis;

    static String keys(boolean enabled) {
        byte[] material = new byte[32];
        for (int i = 0; i < material.length; i++) {
            material[i] = (byte) (i * 7 + 3);
        }
        return "{\"keys\": [{\"keyId\": \"" + KEY_ID + "\", \"aliases\": [\"alias/orders\"], \"enabled\": " + enabled
                + ", \"material\": \"" + Base64.getEncoder().encodeToString(material) + "\"}]}";
    }

    @BeforeAll
    static void start() throws IOException {
        keyFile = work.resolve("kms-keys.json");
        Files.writeString(keyFile, keys(true));
        server = MillraceProcess.start(work.resolve("data"), "--kms-keys", keyFile.toString());
        kinesis = Clients.syncNoRetries(server.endpoint());
    }

    @AfterAll
    static void stop() {
        if (kinesis != null) {
            kinesis.close();
        }
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    private static String put(String stream, String partitionKey, String data) {
        return kinesis.putRecord(b -> b.streamName(stream).partitionKey(partitionKey)
                .data(SdkBytes.fromString(data, StandardCharsets.UTF_8))).sequenceNumber();
    }

    @Test
    void recordsWrittenWhileEncryptionIsOnAreNowhereInPlainBytes() throws Exception {
        Streams.createActive(kinesis, "orders", 1);
        put("orders", "plain-partition-key-before", "plain-payload-written-before");
        kinesis.startStreamEncryption(b -> b.streamName("orders").encryptionType(EncryptionType.KMS)
                .keyId("alias/orders"));
        await().atMost(Duration.ofSeconds(10)).until(() -> summary("orders").streamStatus() == StreamStatus.ACTIVE);
        assertThat(summary("orders").encryptionType()).isEqualTo(EncryptionType.KMS);
        assertThat(summary("orders").keyId()).isEqualTo("alias/orders");
        for (int i = 0; i < 50; i++) {
            put("orders", "secret-partition-key-" + i, "secret-payload-number-" + i + "-of-the-encrypted-stream");
        }
        kinesis.stopStreamEncryption(b -> b.streamName("orders").encryptionType(EncryptionType.KMS)
                .keyId("alias/orders"));
        await().atMost(Duration.ofSeconds(10)).until(() -> summary("orders").streamStatus() == StreamStatus.ACTIVE);
        put("orders", "plain-partition-key-after", "plain-payload-written-after");

        List<Record> read = Streams.readShard(kinesis, "orders", "shardId-000000000000", 1000);
        assertThat(read).extracting(r -> r.data().asUtf8String()).hasSize(52)
                .startsWith("plain-payload-written-before").endsWith("plain-payload-written-after")
                .contains("secret-payload-number-17-of-the-encrypted-stream");
        assertThat(read.get(1).encryptionType()).isEqualTo(EncryptionType.KMS);
        assertThat(read.get(0).encryptionType()).as("stored plain").isNotEqualTo(EncryptionType.KMS);
        assertThat(read.get(51).encryptionType()).as("stored plain").isNotEqualTo(EncryptionType.KMS);
        assertThat(read.get(1).partitionKey()).isEqualTo("secret-partition-key-0");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(storedBytesContain(
                "plain-payload-written-after")).as("the scan finds what was written plain").isTrue());
        assertThat(storedBytesContain("plain-payload-written-before")).isTrue();
        assertThat(storedBytesContain("secret-payload-number")).as("an encrypted payload in plain bytes").isFalse();
        assertThat(storedBytesContain("secret-partition-key")).as("an encrypted partition key in plain bytes")
                .isFalse();
    }

    @Test
    void aDisabledKeyStopsReadsAndWritesOfWhatItEncryptsAndAnUnknownKeyIsNotFound() throws Exception {
        Streams.createActive(kinesis, "payments", 1);
        AwsServiceException unknown = failure(() -> kinesis.startStreamEncryption(b -> b.streamName("payments")
                .encryptionType(EncryptionType.KMS).keyId("alias/nobody")));
        assertThat(unknown.awsErrorDetails().errorCode()).isEqualTo("KMSNotFoundException");
        kinesis.startStreamEncryption(b -> b.streamName("payments").encryptionType(EncryptionType.KMS)
                .keyId(KEY_ID));
        await().atMost(Duration.ofSeconds(10)).until(() -> summary("payments").streamStatus() == StreamStatus.ACTIVE);
        put("payments", "k", "encrypted-then-disabled");
        try {
            Files.writeString(keyFile, keys(false));
            hangup();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(failure(() -> put("payments", "k",
                    "refused")).awsErrorDetails().errorCode()).isEqualTo("KMSDisabledException"));
            assertThat(failure(() -> Streams.readShard(kinesis, "payments", "shardId-000000000000", 100))
                    .awsErrorDetails().errorCode()).isEqualTo("KMSDisabledException");
        } finally {
            Files.writeString(keyFile, keys(true));
            hangup();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Streams.readShard(kinesis, "payments",
                "shardId-000000000000", 100)).extracting(r -> r.data().asUtf8String())
                .containsExactly("encrypted-then-disabled"));
    }

    private static StreamDescriptionSummary summary(String stream) {
        return kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary();
    }

    private static AwsServiceException failure(Runnable call) {
        try {
            call.run();
        } catch (AwsServiceException e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }

    private static void hangup() throws Exception {
        assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(server.pid())).inheritIO().start().waitFor())
                .isZero();
    }

    /** Whether {@code text} appears in any file where the server's storage keeps records. */
    private static boolean storedBytesContain(String text) throws IOException {
        Path root = KafkaBackend.isActive() ? KafkaBackend.brokerData() : work.resolve("data");
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(f);
                } catch (IOException e) {
                    continue; // deleted while walking (a segment rolled)
                }
                if (indexOf(bytes, needle) >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
