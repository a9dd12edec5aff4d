package dev.millrace.server.http;

import dev.millrace.server.MillraceServer;
import dev.millrace.server.ServerConfig;
import dev.millrace.server.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gzipped CloudWatch bodies, as SDKs send PutMetricData from 10 KiB on (its {@code requestCompression} trait): the
 * KPL's C++ SDK does so in the query protocol, whose call is only recognised once the body is read.
 */
class GzipBodiesTest {
    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";
    private static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/monitoring/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=abc";

    @TempDir
    Path dir;

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void onlyAGzipEncodingIsInflated() throws IOException {
        byte[] form = utf8("Action=ListMetrics&Version=2010-08-01");
        assertThat(GzipBodies.inflate("gzip", gzip(form))).isEqualTo(form);
        assertThat(GzipBodies.inflate(" GZIP ", gzip(form))).isEqualTo(form);
        assertThat(GzipBodies.inflate(null, form)).isSameAs(form);
        assertThat(GzipBodies.inflate("identity", form)).isSameAs(form);
        byte[] deflated = gzip(form);
        assertThat(GzipBodies.inflate("br", deflated)).isSameAs(deflated);
    }

    @Test
    void aBrokenOrTooLargeStreamIsLeftAsSent() throws IOException {
        byte[] notGzip = utf8("Action=ListMetrics&Version=2010-08-01");
        assertThat(GzipBodies.inflate("gzip", notGzip)).isSameAs(notGzip);
        byte[] truncated = java.util.Arrays.copyOf(gzip(notGzip), 12);
        assertThat(GzipBodies.inflate("gzip", truncated)).isSameAs(truncated);
        byte[] bomb = gzip(new byte[GzipBodies.MAX_INFLATED_BYTES + 1]);
        assertThat(GzipBodies.inflate("gzip", bomb)).isSameAs(bomb);
        byte[] atLimit = new byte[GzipBodies.MAX_INFLATED_BYTES];
        assertThat(GzipBodies.inflate("gzip", gzip(atLimit))).isEqualTo(atLimit);
    }

    @Test
    void aGzippedQueryPutMetricDataIsServed() throws Exception {
        try (MillraceServer server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir))) {
            URI endpoint = URI.create("http://127.0.0.1:" + server.start().getPort() + "/");
            StringBuilder put = new StringBuilder("Action=PutMetricData&Version=2010-08-01&Namespace=KPL");
            for (int i = 1; i <= 20; i++) {
                put.append("&MetricData.member.").append(i).append(".MetricName=M").append(i)
                        .append("&MetricData.member.").append(i).append(".Value=").append(i)
                        .append("&MetricData.member.").append(i).append(".Dimensions.member.1.Name=StreamName")
                        .append("&MetricData.member.").append(i).append(".Dimensions.member.1.Value=")
                        .append("s".repeat(200));
            }
            HttpResponse<String> r = post(endpoint, gzip(utf8(put.toString())), "gzip");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("<PutMetricDataResponse");
            HttpResponse<String> list = post(endpoint, utf8("Action=ListMetrics&Version=2010-08-01&Namespace=KPL"),
                    null);
            assertThat(list.body()).contains("<MetricName>M1</MetricName>", "<MetricName>M20</MetricName>");
        }
    }

    private static HttpResponse<String> post(URI endpoint, byte[] body, String encoding) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", FORM).header("X-Amz-Date", "20261205T000000Z").header("Authorization", AUTH)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            b.header("Content-Encoding", encoding);
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
