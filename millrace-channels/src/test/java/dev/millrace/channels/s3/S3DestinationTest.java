package dev.millrace.channels.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.millrace.channels.s3.Destination.ObjectTarget;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/** The S3 destination against a real S3 API server: single puts, multipart, overwrite, bucket checks, failures. */
class S3DestinationTest {

    static S3ProxyServer server;
    static S3Client reader;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = new S3ProxyServer();
        reader = server.client();
        reader.createBucket(b -> b.bucket("lake"));
    }

    @AfterAll
    static void stop() throws Exception {
        reader.close();
        server.close();
    }

    S3Destination destination(long partSizeBytes) {
        return S3Destination.create(server.endpoint, true, Region.US_EAST_1, server.credentials(), partSizeBytes,
                S3Destination.DEFAULT_ATTEMPT_TIMEOUT, S3Destination.DEFAULT_CALL_TIMEOUT);
    }

    Path file(int sizeBytes, long seed) throws Exception {
        byte[] bytes = new byte[sizeBytes];
        new Random(seed).nextBytes(bytes);
        Path file = Files.createTempFile(dir, "obj", ".bin");
        Files.write(file, bytes);
        return file;
    }

    @Test
    void smallObjectsArePutWholeAndOverwritesReplace() throws Exception {
        try (S3Destination s3 = destination(S3Destination.DEFAULT_PART_BYTES)) {
            Path first = file(1000, 1);
            s3.put(new ObjectTarget("lake", "a/b/one.bin", "STANDARD", null), first);
            assertThat(S3ProxyServer.get(reader, "lake", "a/b/one.bin")).isEqualTo(Files.readAllBytes(first));
            Path second = file(10, 2);
            s3.put(new ObjectTarget("lake", "a/b/one.bin", null, null), second);
            assertThat(S3ProxyServer.get(reader, "lake", "a/b/one.bin")).isEqualTo(Files.readAllBytes(second));
            assertThat(reader.listObjectsV2(b -> b.bucket("lake").prefix("a/b/")).contents())
                    .extracting(S3Object::key).containsExactly("a/b/one.bin");
        }
    }

    @Test
    void theExpectedBucketOwnerIsSentAndAcceptedBySelfHostedStores() throws Exception {
        try (S3Destination s3 = destination(S3Destination.MIN_PART_BYTES)) {
            Path small = file(10, 9);
            Path big = file((int) S3Destination.MIN_PART_BYTES + 1, 10);
            s3.put(new ObjectTarget("lake", "owned/small", "STANDARD", "123456789012"), small);
            s3.put(new ObjectTarget("lake", "owned/big", "STANDARD", "123456789012"), big);
            assertThat(S3ProxyServer.get(reader, "lake", "owned/small")).isEqualTo(Files.readAllBytes(small));
            assertThat(S3ProxyServer.get(reader, "lake", "owned/big")).isEqualTo(Files.readAllBytes(big));
        }
        // Against AWS S3 the header is sent: s3proxy's refusal of it shows that it is.
        S3Destination asOnAws = new S3Destination(reader, S3Destination.DEFAULT_PART_BYTES, true);
        assertThatThrownBy(() -> asOnAws.put(new ObjectTarget("lake", "owned/aws", "STANDARD", "123456789012"),
                file(10, 11))).isInstanceOf(DestinationException.class).hasMessageContaining("501");
        asOnAws.put(new ObjectTarget("lake", "owned/aws", "STANDARD", null), file(10, 11));
    }

    @Test
    void theStorageClassIsSentWithTheObject() throws Exception {
        try (S3Destination s3 = destination(S3Destination.DEFAULT_PART_BYTES)) {
            s3.put(new ObjectTarget("lake", "cold/x", "GLACIER_IR", null), file(10, 7));
            s3.put(new ObjectTarget("lake", "warm/x", "STANDARD", null), file(10, 8));
            assertThat(reader.headObject(b -> b.bucket("lake").key("cold/x")).storageClassAsString())
                    .isEqualTo("GLACIER_IR");
            assertThat(reader.headObject(b -> b.bucket("lake").key("warm/x")).storageClassAsString())
                    .isIn(null, "STANDARD");
        }
    }

    @Test
    void objectsAboveThePartSizeAreUploadedInParts() throws Exception {
        // s3proxy, like S3, wants parts of 5 MiB but the last.
        try (S3Destination s3 = destination(S3Destination.MIN_PART_BYTES)) {
            Path big = file((int) S3Destination.MIN_PART_BYTES * 2 + 123, 3);
            s3.put(new ObjectTarget("lake", "multi/part.bin", "STANDARD", null), big);
            assertThat(S3ProxyServer.get(reader, "lake", "multi/part.bin")).isEqualTo(Files.readAllBytes(big));
            // A multipart object's ETag is "<md5 of the parts' md5s>-<parts>".
            String etag = reader.headObject(b -> b.bucket("lake").key("multi/part.bin")).eTag();
            assertThat(etag.replace("\"", "")).endsWith("-3");
            ListMultipartUploadsResponse open = reader.listMultipartUploads(b -> b.bucket("lake"));
            assertThat(open.uploads()).isEmpty();
        }
    }

    @Test
    void aFailedMultipartUploadIsAbortedAndReported() throws Exception {
        try (S3Destination s3 = destination(64 * 1024)) {
            Path big = file(64 * 1024 * 2 + 1, 4);
            assertThatThrownBy(() -> s3.put(new ObjectTarget("no-such-bucket", "k", "STANDARD", null), big))
                    .isInstanceOf(DestinationException.class).hasMessageContaining("s3://no-such-bucket/k");
            assertThatThrownBy(() -> s3.put(new ObjectTarget("no-such-bucket", "k", "STANDARD", null), file(10, 5)))
                    .isInstanceOf(DestinationException.class);
        }
    }

    @Test
    void aPartThatFailsAbortsTheUploadAndLeavesNoObject() throws Exception {
        S3Client real = server.client();
        S3Client failingSecondPart = (S3Client) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {S3Client.class}, (proxy, method, args) -> {
                    if (method.getName().equals("uploadPart") && ((UploadPartRequest) args[0]).partNumber() == 2) {
                        throw S3Exception.builder().statusCode(500).message("InternalError (injected)").build();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        S3Destination s3 = new S3Destination(failingSecondPart, S3Destination.MIN_PART_BYTES, false);
        Path big = file((int) S3Destination.MIN_PART_BYTES * 2 + 1, 6);
        assertThatThrownBy(() -> s3.put(new ObjectTarget("lake", "aborted/x", "STANDARD", null), big))
                .isInstanceOf(DestinationException.class).hasMessageContaining("injected");
        assertThat(reader.listMultipartUploads(b -> b.bucket("lake")).uploads()).isEmpty();
        assertThat(reader.listObjectsV2(b -> b.bucket("lake").prefix("aborted/")).contents()).isEmpty();
        real.close();
    }

    @Test
    void existsTellsAStoredObjectFromAMissingOneAndFailsWhenUnreachable() throws Exception {
        try (S3Destination s3 = destination(S3Destination.DEFAULT_PART_BYTES)) {
            ObjectTarget target = new ObjectTarget("lake", "e/x/there.bin", "STANDARD", null);
            assertThat(s3.exists(target)).isFalse();
            s3.put(target, file(10, 3));
            assertThat(s3.exists(target)).isTrue();
            assertThat(s3.exists(new ObjectTarget("lake", "e/x/there.bin2", null, null))).isFalse();
        }
        try (S3Destination down = S3Destination.create(URI.create("http://127.0.0.1:1"), true,
                Region.US_EAST_1, server.credentials(), S3Destination.DEFAULT_PART_BYTES,
                S3Destination.DEFAULT_ATTEMPT_TIMEOUT, S3Destination.DEFAULT_CALL_TIMEOUT)) {
            assertThatThrownBy(() -> down.exists(new ObjectTarget("lake", "e/x/there.bin", null, null)))
                    .isInstanceOf(DestinationException.class);
        }
    }

    @Test
    void checkBucketTellsExistingFromMissingDeniedAndUnreachable() throws Exception {
        try (S3Destination s3 = destination(S3Destination.DEFAULT_PART_BYTES)) {
            assertThat(s3.checkBucket("lake")).isEqualTo(Destination.BucketCheck.EXISTS);
            assertThat(s3.checkBucket("no-such-bucket")).isEqualTo(Destination.BucketCheck.MISSING);
        }
        // s3proxy answers a wrong secret with 403, as S3 answers credentials the bucket's policy refuses.
        try (S3Destination denied = S3Destination.create(server.endpoint, true, Region.US_EAST_1,
                StaticCredentialsProvider.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, "wrong")),
                S3Destination.DEFAULT_PART_BYTES, S3Destination.DEFAULT_ATTEMPT_TIMEOUT,
                S3Destination.DEFAULT_CALL_TIMEOUT)) {
            assertThat(denied.checkBucket("lake")).isEqualTo(Destination.BucketCheck.ACCESS_DENIED);
        }
        try (S3Destination down = S3Destination.create(URI.create("http://127.0.0.1:1"), true,
                Region.US_EAST_1, server.credentials(), S3Destination.DEFAULT_PART_BYTES,
                S3Destination.DEFAULT_ATTEMPT_TIMEOUT, S3Destination.DEFAULT_CALL_TIMEOUT)) {
            assertThatThrownBy(() -> down.checkBucket("lake")).isInstanceOf(DestinationException.class);
        }
    }

    @Test
    void anEndpointThatAcceptsButNeverAnswersFailsThePutOnceTheCallTimesOut() throws Exception {
        Path small = file(100, 7);
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             S3Destination s3 = S3Destination.create(URI.create("http://127.0.0.1:" + silent.getLocalPort()), true,
                     Region.US_EAST_1, server.credentials(), S3Destination.DEFAULT_PART_BYTES,
                     Duration.ofMillis(300), Duration.ofSeconds(1))) {
            // Without the timeouts the JDK client's 30 s read timeout, per attempt, would hold the call for minutes.
            assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertThatThrownBy(() -> s3.put(new ObjectTarget("lake", "hung/x", "STANDARD", null), small))
                            .isInstanceOf(DestinationException.class));
        }
    }
}
