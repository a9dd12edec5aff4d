package dev.millrace.it;

import dev.millrace.channels.s3.S3ProxyServer;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * s3proxy over jclouds' in-memory blob store, as {@link S3ProxyServer}, on one or more endpoints that share the store,
 * with a hook around {@code putBlob} into chosen buckets: the crash tests use it to note who stored what, and to kill
 * a server at the worst moment of an upload (before the object is stored, or after it is and before the server hears
 * so). The hook is told which endpoint the upload came through, so that a test giving each node its own endpoint
 * knows which node uploaded an object without guessing from the time.
 *
 * <p>Thread-safe as far as this class goes: s3proxy's threads call the hook concurrently, so the hook must be.
 */
final class HookedS3 implements AutoCloseable {
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Handles an upload into a hooked bucket; {@code store} stores it (and returns what {@code putBlob} returns). */
    @FunctionalInterface
    interface PutHook {
        Object put(int endpoint, String bucket, Blob blob, Store store) throws Throwable;
    }

    /** Stores the upload a {@link PutHook} was given. */
    @FunctionalInterface
    interface Store {
        Object store() throws Throwable;
    }

    private final BlobStoreContext context;
    private final BlobStore store;
    private final List<S3Proxy> proxies = new ArrayList<>();
    private final List<URI> endpoints = new ArrayList<>();

    /** Starts {@code endpointCount} endpoints over one store; uploads into {@code buckets} go through {@code hook}. */
    HookedS3(int endpointCount, Set<String> buckets, PutHook hook) throws Exception {
        context = ContextBuilder.newBuilder("transient").build(BlobStoreContext.class);
        store = context.getBlobStore();
        try {
            for (int i = 0; i < endpointCount; i++) {
                S3Proxy proxy = S3Proxy.builder().blobStore(hooked(i, buckets, hook))
                        .endpoint(URI.create("http://127.0.0.1:0"))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3ProxyServer.ACCESS_KEY,
                                S3ProxyServer.SECRET_KEY)
                        .build();
                proxies.add(proxy);
                proxy.start();
                awaitStarted(proxy);
                endpoints.add(URI.create("http://127.0.0.1:" + proxy.getPort()));
            }
        } catch (Exception | Error e) {
            try {
                close();
            } catch (RuntimeException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    private BlobStore hooked(int endpoint, Set<String> buckets, PutHook hook) {
        return (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class},
                (p, method, args) -> {
                    if (method.getName().equals("putBlob") && args != null && args.length >= 2
                            && buckets.contains((String) args[0])) {
                        return hook.put(endpoint, (String) args[0], (Blob) args[1], () -> invoke(method, args));
                    }
                    return invoke(method, args);
                });
    }

    private Object invoke(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(store, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Jetty reports FAILED rather than throwing when it cannot start; without a deadline we would wait forever. */
    private static void awaitStarted(S3Proxy proxy) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (!proxy.getState().equals("STARTED")) {
            if (proxy.getState().equals("FAILED") || System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
    }

    /** Endpoint {@code i}, {@code http://127.0.0.1:PORT}. */
    URI endpoint(int i) {
        return endpoints.get(i);
    }

    /** An object's bytes as stored, read from the store itself (for a hook, before the uploader hears back). */
    byte[] stored(String bucket, String key) throws IOException {
        try (InputStream in = store.getBlob(bucket, key).getPayload().openStream()) {
            return in.readAllBytes();
        }
    }

    /** A plain SDK client on endpoint 0, as a user would read the objects back. */
    S3Client client() {
        return S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .forcePathStyle(true).endpointOverride(endpoint(0))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    /** Stops every endpoint, even if one fails to, then the store. */
    @Override
    public void close() {
        IllegalStateException failure = null;
        for (S3Proxy proxy : proxies) {
            try {
                proxy.stop();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("s3proxy did not stop", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        context.close();
        if (failure != null) {
            throw failure;
        }
    }
}
