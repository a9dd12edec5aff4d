package dev.millrace.sts;

import dev.millrace.protocol.Account;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STS's GetCallerIdentity as the KPL calls it (AWS query protocol, see {@link StsApi}), answered as STS answers an
 * account's own keys (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), and told apart
 * from CloudWatch's query calls and Kinesis calls on the same port (the server's StsOverHttpTest asks a running
 * server).
 */
class StsApiTest {
    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";
    private static final String CALL = "Action=GetCallerIdentity&Version=2011-06-15";

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

    /** Issue 13: an Error in an action (a stack overflow, an exhausted heap) still gets STS's 500 answer. */
    @Test
    void anErrorInAnActionIsAnInternalFailure() {
        StsApi failing = new StsApi("123456789012", java.util.Map.of("GetCallerIdentity", (parameters, caller) -> {
            throw new StackOverflowError();
        }));
        StsApi.Result r = failing.handle(CALL.getBytes(StandardCharsets.UTF_8), "us-east-1", "r3");
        assertThat(r.httpStatus()).isEqualTo(500);
        assertThat(text(r)).isEqualTo("""
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error>
                    <Type>Receiver</Type>
                    <Code>InternalFailure</Code>
                    <Message>The request processing has failed because of an unknown error, exception or failure.</Message>
                  </Error>
                  <RequestId>r3</RequestId>
                </ErrorResponse>
                """);
    }

    /** Found by the fuzz test below: a form without an action was a NullPointerException, not an answer. */
    @Test
    void aFormWithoutAnActionIsMissingAction() {
        StsApi.Result r = new StsApi("123456789012").handle("Version=2011-06-15".getBytes(StandardCharsets.UTF_8),
                "us-east-1", "r4");
        assertThat(r.httpStatus()).isEqualTo(400);
        assertThat(text(r)).contains("<Code>MissingAction</Code>").contains("<Type>Sender</Type>");
    }

    /**
     * Issue 13's fuzz test for STS: random query forms (known and unknown actions, odd escapes, long and binary
     * values) and garbage are answered 200 or 400, never a 5xx or a throwable; {@code -Dmillrace.fuzz.seed=S}.
     */
    @Test
    void randomFormsAreAnsweredWithoutA5xx() {
        String seedProperty = System.getProperty("millrace.fuzz.seed", "20261205");
        java.util.Random random = new java.util.Random(seedProperty.equals("random") ? System.nanoTime()
                : Long.parseLong(seedProperty));
        StsApi sts = new StsApi("123456789012");
        String[] pieces = {"Action=GetCallerIdentity", "Action=AssumeRole", "Action=", "Version=2011-06-15",
            "Version=2010-08-01", "%", "%zz", "%E2%82", "=", "&", "Action=Get%43allerIdentity", "x=" + "y".repeat(5_000)};
        for (int i = 0; i < 2_000; i++) {
            StringBuilder form = new StringBuilder();
            for (int n = random.nextInt(6); n > 0; n--) {
                form.append(form.length() == 0 ? "" : "&").append(pieces[random.nextInt(pieces.length)]);
            }
            byte[] body = form.toString().getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(5) == 0) {
                body = new byte[random.nextInt(100)];
                random.nextBytes(body);
            }
            StsApi.isSts(null, "application/x-www-form-urlencoded", body);
            StsApi.Result r = sts.handle(body, random.nextBoolean() ? "us-east-1" : "??", "fuzz");
            assertThat(r.httpStatus()).as(new String(body, StandardCharsets.ISO_8859_1)).isIn(200, 400);
        }
    }
}
