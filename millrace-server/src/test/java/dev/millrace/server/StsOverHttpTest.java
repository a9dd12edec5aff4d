package dev.millrace.server;

import dev.millrace.protocol.Account;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** STS's GetCallerIdentity, which the KPL asks for its account, answered on the server's one port. */
class StsOverHttpTest {
    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";
    private static final String CALL = "Action=GetCallerIdentity&Version=2011-06-15";

    @TempDir
    Path dir;

    @Test
    void aRunningServerAnswersWithItsAccountId() throws Exception {
        Account account = new Account("us-east-1", "111122223333");
        try (MillraceServer server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir)
                .withAccount(account))) {
            URI endpoint = URI.create("http://127.0.0.1:" + server.start().getPort() + "/");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint)
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", FORM)
                    .header("X-Amz-Date", "20261205T000000Z")
                    .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261205/eu-west-1/sts/aws4_request, "
                            + "SignedHeaders=host;x-amz-date, Signature=abc")
                    .POST(HttpRequest.BodyPublishers.ofString(CALL)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/xml");
            assertThat(r.body()).contains("<Account>111122223333</Account>",
                    "<Arn>arn:aws:iam::111122223333:root</Arn>");
        }
    }
}
