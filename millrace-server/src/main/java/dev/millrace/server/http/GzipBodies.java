package dev.millrace.server.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Request bodies sent with {@code Content-Encoding: gzip}. CloudWatch's PutMetricData carries Smithy's
 * {@code requestCompression} trait, so SDKs gzip its bodies from 10 KiB on (the C++ SDK inside the KPL in the query
 * protocol, the Java SDK in RPC v2 CBOR), and CloudWatch reads them. Kinesis and DynamoDB have no such trait; their
 * calls are never inflated here.
 *
 * <p>Stateless, thread-safe.
 */
final class GzipBodies {
    /** CloudWatch's limit for a PutMetricData POST; a body that inflates beyond it is left as sent. */
    static final int MAX_INFLATED_BYTES = 1 << 20;

    private GzipBodies() {
    }

    /**
     * The inflated body if {@code contentEncoding} is gzip and the body is a gzip stream of at most
     * {@link #MAX_INFLATED_BYTES}; otherwise the body as sent, for the usual checks to answer.
     */
    static byte[] inflate(String contentEncoding, byte[] body) {
        if (contentEncoding == null || !contentEncoding.trim().toLowerCase(Locale.ROOT).equals("gzip")) {
            return body;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(body.length * 4);
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                if (out.size() + n > MAX_INFLATED_BYTES) {
                    return body;
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            return body;
        }
    }
}
