package dev.millrace.channels.s3;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.util.Objects;

/**
 * Where channel objects go when the server is given an S3 endpoint ({@code --s3-endpoint}): the endpoint of an
 * S3-compatible store (MinIO, Ceph, s3proxy) or AWS S3's own, how buckets are addressed, the region requests are
 * signed for, and the credentials: a key pair given to the server, or else the AWS SDK's default chain (environment,
 * profile, container or instance role).
 *
 * <p>Immutable, thread-safe. {@link #toString()} never shows the secret or the session token.
 *
 * @param endpoint        the store's endpoint, or null for AWS S3 in {@code region}
 * @param pathStyle       address buckets as {@code endpoint/BUCKET} (most self-hosted stores) rather than
 *                        {@code BUCKET.endpoint}
 * @param region          the region to sign for
 * @param accessKeyId     with {@code secretAccessKey}, the credentials; both null for the default chain
 * @param secretAccessKey the secret of {@code accessKeyId}
 * @param sessionToken    with the key pair, the token of temporary credentials (what an Iceberg REST catalog vends
 *                        for a table's files); null for long-term keys
 */
public record S3Settings(URI endpoint, boolean pathStyle, String region, String accessKeyId,
                         String secretAccessKey, String sessionToken) {
    public S3Settings {
        Objects.requireNonNull(region, "region");
        if ((accessKeyId == null) != (secretAccessKey == null)) {
            throw new IllegalArgumentException("an S3 access key id and its secret go together: give both or none");
        }
        if (sessionToken != null && accessKeyId == null) {
            throw new IllegalArgumentException("an S3 session token goes with the access key id and secret it was "
                    + "issued with");
        }
    }

    /** Long-term keys (or the default chain): the server's own settings. */
    public S3Settings(URI endpoint, boolean pathStyle, String region, String accessKeyId, String secretAccessKey) {
        this(endpoint, pathStyle, region, accessKeyId, secretAccessKey, null);
    }

    /** A destination on this store, with its own client, written in parts of {@code partSizeBytes} above that. */
    public S3Destination open(long partSizeBytes) {
        return S3Destination.create(endpoint, pathStyle, Region.of(region), credentials(), partSizeBytes,
                S3Destination.DEFAULT_ATTEMPT_TIMEOUT, S3Destination.DEFAULT_CALL_TIMEOUT);
    }

    /**
     * A new client of this store, configured as {@link #open}'s (for Iceberg's S3FileIO when the embedded catalog's
     * warehouse is on this store); the caller closes it.
     */
    public S3Client client() {
        return S3Destination.client(endpoint, pathStyle, Region.of(region), credentials(),
                S3Destination.DEFAULT_ATTEMPT_TIMEOUT, S3Destination.DEFAULT_CALL_TIMEOUT);
    }

    /**
     * A new client of this store signing with {@code credentials} instead of this record's key pair or the default
     * chain: credentials that change while the client lives (an Iceberg REST catalog's vended ones, refreshed from its
     * endpoint before they expire). The caller closes the client and, if it needs closing, {@code credentials}.
     */
    public S3Client client(AwsCredentialsProvider credentials) {
        return S3Destination.client(endpoint, pathStyle, Region.of(region),
                Objects.requireNonNull(credentials, "credentials"), S3Destination.DEFAULT_ATTEMPT_TIMEOUT,
                S3Destination.DEFAULT_CALL_TIMEOUT);
    }

    private AwsCredentialsProvider credentials() {
        if (accessKeyId == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(sessionToken == null
                ? AwsBasicCredentials.create(accessKeyId, secretAccessKey)
                : AwsSessionCredentials.create(accessKeyId, secretAccessKey, sessionToken));
    }

    @Override
    public String toString() {
        return "S3Settings[endpoint=" + (endpoint == null ? "AWS S3" : endpoint) + ", pathStyle=" + pathStyle
                + ", region=" + region + ", credentials=" + (accessKeyId == null ? "the default chain"
                : "key " + accessKeyId + (sessionToken == null ? "" : " with a session token")) + "]";
    }
}
