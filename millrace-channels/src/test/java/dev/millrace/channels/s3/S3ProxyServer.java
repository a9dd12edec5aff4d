package dev.millrace.channels.s3;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** A real S3 API server in the test's JVM (s3proxy over jclouds' in-memory blob store), on 127.0.0.1. */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY = "AKIAMILLRACETEST";
    public static final String SECRET_KEY = "millrace-test-secret";

    final S3Proxy proxy;
    final BlobStoreContext context;
    public final URI endpoint;

    public S3ProxyServer() throws Exception {
        Properties properties = new Properties();
        context = ContextBuilder.newBuilder("transient").overrides(properties).build(BlobStoreContext.class);
        proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.sleep(10);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    BlobStore blobStore() {
        return context.getBlobStore();
    }

    public StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** A plain SDK client, as a user would read the objects back. */
    public S3Client client() {
        return S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                .credentialsProvider(credentials()).forcePathStyle(true).endpointOverride(endpoint)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
    }

    public static byte[] get(S3Client client, String bucket, String key) {
        return client.getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toBytes()).asByteArray();
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy did not stop", e);
        } finally {
            context.close();
        }
    }
}
