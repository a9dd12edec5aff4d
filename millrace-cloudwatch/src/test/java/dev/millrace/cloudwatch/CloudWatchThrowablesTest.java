package dev.millrace.cloudwatch;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13: only RuntimeException was caught, so an Error in a handler (a StackOverflowError, a survivable
 * OutOfMemoryError) escaped and the request got no answer. It is now CloudWatch's 500 InternalServiceFault.
 */
class CloudWatchThrowablesTest {
    /** A clock whose every reading fails with {@code error}, as a handler's stack overflowing would. */
    private static Clock failing(Error error) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                throw error;
            }

            @Override
            public long millis() {
                throw error;
            }
        };
    }

    @Test
    void anErrorInAHandlerIsAnInternalServiceFaultInEveryProtocol() {
        for (Error error : new Error[]{new StackOverflowError(), new OutOfMemoryError("Java heap space")}) {
            CloudWatchApi api = new CloudWatchApi(failing(error));
            CloudWatchApi.Result json = api.handle("/", CloudWatchApi.SERVICE + ".PutMetricData",
                    "application/x-amz-json-1.0", ("{\"Namespace\":\"n\",\"MetricData\":[{\"MetricName\":\"m\","
                            + "\"Value\":1}]}").getBytes(StandardCharsets.UTF_8), "req-1");
            assertThat(json.httpStatus()).isEqualTo(500);
            assertThat(new String(json.body(), StandardCharsets.UTF_8)).contains("#InternalServiceFault");
            assertThat(json.headers()).containsEntry("x-amzn-query-error", "InternalServiceError;Receiver");

            CloudWatchApi.Result query = api.handle("/", null, "application/x-www-form-urlencoded",
                    ("Action=PutMetricData&Version=2010-08-01&Namespace=n&MetricData.member.1.MetricName=m"
                            + "&MetricData.member.1.Value=1").getBytes(StandardCharsets.UTF_8), "req-2");
            assertThat(query.httpStatus()).isEqualTo(500);
            assertThat(new String(query.body(), StandardCharsets.UTF_8)).contains("InternalServiceError")
                    .contains("req-2");
        }
    }
}
