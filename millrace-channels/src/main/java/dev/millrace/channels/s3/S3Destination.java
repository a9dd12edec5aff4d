package dev.millrace.channels.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Objects in an S3-compatible store (AWS S3, MinIO, Ceph...) through the AWS SDK's S3 client over the JDK's HTTP
 * client (no Netty: the server runs another Netty than the SDK's). Objects up to the part size go in one PutObject;
 * larger ones in a multipart upload of part-size parts (the last one shorter), aborted when a part or the completion
 * fails so that no invisible parts stay billed. S3 makes a completed PutObject or multipart upload visible atomically
 * and replaces an existing object whole.
 *
 * <p>Thread-safe (the SDK client is); {@link #close} closes the client if this created it.
 */
public final class S3Destination implements Destination, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(S3Destination.class);

    /** S3's minimum part size (every part but the last). */
    public static final long MIN_PART_BYTES = 5L * 1024 * 1024;
    /** The default part size, also the size above which an object is uploaded in parts. */
    public static final long DEFAULT_PART_BYTES = 16L * 1024 * 1024;
    private static final int MAX_PARTS = 10_000;
    /**
     * One HTTP attempt (a PutObject or a part of up to {@link #DEFAULT_PART_BYTES}, or a HeadBucket) may take this
     * long: 16 MiB in 2 minutes is ~1 Mbit/s, far slower than any working link to a store, so a hung or dribbling
     * endpoint fails the attempt instead of holding the shard's delivery for ever.
     */
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofMinutes(2);
    /** One API call with the SDK's retries (3 attempts and their backoff). */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(7);

    private final S3Client client;
    private final boolean ownsClient;
    private final long partSizeBytes;
    private final boolean sendsBucketOwner;

    /**
     * Uses {@code client}, which the caller keeps and closes. {@code partSizeBytes} below S3's 5 MiB minimum is for
     * stores that allow it. {@code sendsBucketOwner}: whether requests carry the target's expected bucket owner
     * ({@code x-amz-expected-bucket-owner}), which only AWS S3 understands.
     */
    public S3Destination(S3Client client, long partSizeBytes, boolean sendsBucketOwner) {
        this(client, false, partSizeBytes, sendsBucketOwner);
    }

    private S3Destination(S3Client client, boolean ownsClient, long partSizeBytes, boolean sendsBucketOwner) {
        if (partSizeBytes < 1) {
            throw new IllegalArgumentException("partSizeBytes must be positive: " + partSizeBytes);
        }
        this.client = Objects.requireNonNull(client, "client");
        this.ownsClient = ownsClient;
        this.partSizeBytes = partSizeBytes;
        this.sendsBucketOwner = sendsBucketOwner;
    }

    /**
     * A destination with its own client.
     *
     * @param endpoint    the store's endpoint, or null for AWS's endpoint of {@code region}. With an endpoint,
     *                    checksums are sent only where S3 requires them and no expected bucket owner is sent (an
     *                    AWS account id means nothing to a self-hosted store, and some, like s3proxy, refuse the
     *                    header), as S3-compatible stores expect
     * @param pathStyle   address buckets as {@code endpoint/BUCKET} rather than {@code BUCKET.endpoint} (MinIO, most
     *                    self-hosted stores)
     * @param region      the region to sign for
     * @param credentials where credentials come from (the default chain, or static ones from a flag)
     * @param attemptTimeout how long one HTTP attempt may take ({@link #DEFAULT_ATTEMPT_TIMEOUT})
     * @param callTimeout    how long one call may take, its retries included ({@link #DEFAULT_CALL_TIMEOUT})
     */
    public static S3Destination create(URI endpoint, boolean pathStyle, Region region,
            AwsCredentialsProvider credentials, long partSizeBytes, Duration attemptTimeout, Duration callTimeout) {
        return new S3Destination(client(endpoint, pathStyle, region, credentials, attemptTimeout, callTimeout), true,
                partSizeBytes, endpoint == null);
    }

    /**
     * A client configured as {@link #create} configures its own (the parameters are {@link #create}'s): the one
     * place that turns the server's S3 settings into a client, for channel objects and Iceberg table files alike.
     */
    public static S3Client client(URI endpoint, boolean pathStyle, Region region, AwsCredentialsProvider credentials,
                                  Duration attemptTimeout, Duration callTimeout) {
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(region)
                .credentialsProvider(credentials)
                .forcePathStyle(pathStyle)
                .overrideConfiguration(c -> c.apiCallAttemptTimeout(attemptTimeout).apiCallTimeout(callTimeout));
        if (endpoint != null) {
            // The SDK's default checksums ride in aws-chunked trailers that many S3-compatible stores (s3proxy,
            // older MinIO and Ceph) reject; they send checksums only where S3 requires them.
            builder.endpointOverride(endpoint)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return builder.build();
    }

    public long partSizeBytes() {
        return partSizeBytes;
    }

    @Override
    public void put(ObjectTarget target, Path file) {
        long sizeBytes;
        try {
            sizeBytes = Files.size(file);
        } catch (IOException e) {
            throw new DestinationException("Cannot read the staged object " + file + ": " + e, e);
        }
        try {
            if (sizeBytes <= partSizeBytes) {
                client.putObject(putRequest(target), RequestBody.fromFile(file));
            } else {
                putInParts(target, file, sizeBytes);
            }
        } catch (DestinationException e) {
            throw e;
        } catch (SdkException | UncheckedIOException e) {
            throw new DestinationException("Could not write s3://" + target.bucket() + "/" + target.key() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(ObjectTarget target) {
        try {
            client.headObject(HeadObjectRequest.builder().bucket(target.bucket()).key(target.key())
                    .expectedBucketOwner(owner(target)).build());
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            // HeadObject has no body, so a missing key is a bare 404.
            if (e.statusCode() == 404) {
                return false;
            }
            throw new DestinationException("Could not check s3://" + target.bucket() + "/" + target.key() + ": "
                    + e.getMessage(), e);
        } catch (SdkException e) {
            throw new DestinationException("Could not check s3://" + target.bucket() + "/" + target.key() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public BucketCheck checkBucket(String bucket) {
        try {
            client.headBucket(HeadBucketRequest.builder().bucket(bucket).build());
            return BucketCheck.EXISTS;
        } catch (NoSuchBucketException e) {
            return BucketCheck.MISSING;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return BucketCheck.MISSING;
            }
            if (e.statusCode() == 403) {
                // Not "missing": the bucket may well exist, the credentials or the bucket policy are what to fix.
                return BucketCheck.ACCESS_DENIED;
            }
            throw new DestinationException("Could not check bucket " + bucket + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new DestinationException("Could not reach the S3 endpoint to check bucket " + bucket + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    private String owner(ObjectTarget target) {
        return sendsBucketOwner ? target.expectedBucketOwner() : null;
    }

    private PutObjectRequest putRequest(ObjectTarget target) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(target.bucket()).key(target.key())
                .expectedBucketOwner(owner(target));
        if (target.storageClass() != null && !target.storageClass().equals("STANDARD")) {
            request.storageClass(target.storageClass());
        }
        return request.build();
    }

    private void putInParts(ObjectTarget target, Path file, long sizeBytes) {
        long parts = (sizeBytes + partSizeBytes - 1) / partSizeBytes;
        if (parts > MAX_PARTS) {
            throw new DestinationException("The object s3://" + target.bucket() + "/" + target.key() + " of "
                    + sizeBytes + " bytes needs more than " + MAX_PARTS + " parts of " + partSizeBytes + " bytes");
        }
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(target.bucket()).key(target.key()).expectedBucketOwner(owner(target));
        if (target.storageClass() != null && !target.storageClass().equals("STANDARD")) {
            create.storageClass(target.storageClass());
        }
        String uploadId = client.createMultipartUpload(create.build()).uploadId();
        try {
            List<CompletedPart> completed = new ArrayList<>();
            for (int part = 1; part <= parts; part++) {
                long offset = (part - 1) * partSizeBytes;
                long partBytes = Math.min(partSizeBytes, sizeBytes - offset);
                // A provider, not one stream: the SDK reopens the part from the file when it retries.
                String etag = client.uploadPart(UploadPartRequest.builder().bucket(target.bucket())
                                .key(target.key()).uploadId(uploadId).partNumber(part)
                                .expectedBucketOwner(owner(target)).contentLength(partBytes).build(),
                        RequestBody.fromContentProvider(() -> openPart(file, offset, partBytes), partBytes,
                                "application/octet-stream")).eTag();
                completed.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
            }
            client.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(target.bucket())
                    .key(target.key()).uploadId(uploadId).expectedBucketOwner(owner(target))
                    .multipartUpload(CompletedMultipartUpload.builder().parts(completed).build()).build());
        } catch (RuntimeException e) {
            abort(target, uploadId, e);
            throw e;
        }
    }

    private void abort(ObjectTarget target, String uploadId, Exception cause) {
        try {
            client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(target.bucket())
                    .key(target.key()).uploadId(uploadId).expectedBucketOwner(owner(target)).build());
        } catch (SdkException e) {
            cause.addSuppressed(e);
            LOG.warn("Could not abort multipart upload {} of s3://{}/{}; the store's lifecycle rules must clean it up",
                    uploadId, target.bucket(), target.key(), e);
        }
    }

    private static InputStream openPart(Path file, long offset, long partBytes) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ).position(offset);
            return new BoundedInput(Channels.newInputStream(channel), partBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the staged object " + file, e);
        }
    }

    /** At most {@code limit} bytes of {@code in}; closing it closes {@code in}. */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInput(InputStream in, long limit) {
            this.in = in;
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
