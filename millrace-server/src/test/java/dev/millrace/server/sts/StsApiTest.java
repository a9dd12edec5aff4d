package dev.millrace.server.sts;

import dev.millrace.server.MillraceServer;
import dev.millrace.server.ServerConfig;
import dev.millrace.server.TestServers;
import dev.millrace.server.state.Account;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STS's GetCallerIdentity as the KPL calls it (AWS query protocol, see {@link StsApi}), answered as STS answers an
 * account's own keys (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), and told apart
 * from CloudWatch's query calls and Kinesis calls on the same port.
 */
class StsApiTest {
    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";
    private static final String CALL = "Action=GetCallerIdentity&Version=2011-06-15";

    @TempDir
    Path dir;

    private static String text(StsApi.Result r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void getCallerIdentityNamesTheAccountsRootInTheSigningRegionsPartition() {
        StsApi sts = new StsApi("123456789012");
        StsApi.Result r = sts.handle(CALL.getBytes(StandardCharsets.UTF_8), "us-east-1", "req-1");
        assertThat(r.httpStatus()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("""
                <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <GetCallerIdentityResult>
                    <Arn>arn:aws:iam::123456789012:root</Arn>
                    <UserId>123456789012</UserId>
                    <Account>123456789012</Account>
                  </GetCallerIdentityResult>
                  <ResponseMetadata>
                    <RequestId>req-1</RequestId>
                  </ResponseMetadata>
                </GetCallerIdentityResponse>
                """);
        assertThat(text(sts.handle(CALL.getBytes(StandardCharsets.UTF_8), "cn-north-1", "r")))
                .contains("<Arn>arn:aws-cn:iam::123456789012:root</Arn>");
        assertThat(text(sts.handle(CALL.getBytes(StandardCharsets.UTF_8), "not a region", "r")))
                .contains("<Arn>arn:aws:iam::123456789012:root</Arn>");
    }

    @Test
    void anotherActionIsInvalid() {
        StsApi.Result r = new StsApi("123456789012").handle(
                "Action=AssumeRole&Version=2011-06-15&RoleArn=x".getBytes(StandardCharsets.UTF_8), "us-east-1", "r2");
        assertThat(r.httpStatus()).isEqualTo(400);
        assertThat(text(r)).isEqualTo("""
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error>
                    <Type>Sender</Type>
                    <Code>InvalidAction</Code>
                    <Message>Could not find operation AssumeRole for version 2011-06-15</Message>
                  </Error>
                  <RequestId>r2</RequestId>
                </ErrorResponse>
                """);
    }

    @Test
    void onlyFormBodiesWithStsVersionAndAnActionAreStsCalls() {
        byte[] call = CALL.getBytes(StandardCharsets.UTF_8);
        assertThat(StsApi.isSts(null, FORM, call)).isTrue();
        assertThat(StsApi.isSts(null, "application/x-www-form-urlencoded", "Version=2011-06-15&Action=X"
                .getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(StsApi.isSts("Kinesis_20131202.ListStreams", FORM, call)).isFalse();
        assertThat(StsApi.isSts(null, "application/x-amz-json-1.1", call)).isFalse();
        assertThat(StsApi.isSts(null, FORM, "Action=PutMetricData&Version=2010-08-01"
                .getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(StsApi.isSts(null, FORM, "Action=&Version=2011-06-15".getBytes(StandardCharsets.UTF_8)))
                .isFalse();
        assertThat(StsApi.isSts(null, FORM, "{}".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

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
