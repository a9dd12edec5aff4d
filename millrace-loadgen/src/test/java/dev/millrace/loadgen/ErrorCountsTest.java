package dev.millrace.loadgen;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Error counting: by operation and AWS error code, throttles apart, failed PutRecords entries included.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class ErrorCountsTest {
    @Test
    void shouldCountServiceErrorsByTheirCodeAndThrottlesApart() {
        ErrorCounts counts = new ErrorCounts();
        counts.failedCall("PutRecords", new CompletionException(ProvisionedThroughputExceededException.builder()
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("ProvisionedThroughputExceededException")
                        .build()).message("slow down").build()));
        counts.failedCall("GetRecords", KinesisException.builder()
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("InternalFailure").build()).build());
        counts.failedCall("PutRecord", SdkClientException.create("timeout", new IOException("read timed out")));
        assertThat(counts.throttles()).containsExactly(
                java.util.Map.entry("PutRecords:ProvisionedThroughputExceededException", 1L));
        assertThat(counts.errors()).containsOnly(java.util.Map.entry("GetRecords:InternalFailure", 1L),
                java.util.Map.entry("PutRecord:SdkClientException(IOException)", 1L));
        assertThat(counts.totalErrors()).isEqualTo(2);
        assertThat(counts.totalThrottles()).isEqualTo(1);
        assertThat(counts.firstMessages().get("PutRecords:ProvisionedThroughputExceededException"))
                .startsWith("slow down");
    }

    @Test
    void shouldCountFailedRecordsOfAPartialPutRecordsOneEach() {
        ErrorCounts counts = new ErrorCounts();
        counts.failedRecords("PutRecords", "InternalFailure", 3, "disk");
        counts.failedRecords("PutRecords", "InternalFailure", 2, "disk again");
        counts.failedRecords("PutRecords", "ProvisionedThroughputExceededException", 4, "rate");
        assertThat(counts.errors()).containsExactly(java.util.Map.entry("PutRecords:InternalFailure", 5L));
        assertThat(counts.throttles()).containsExactly(
                java.util.Map.entry("PutRecords:ProvisionedThroughputExceededException", 4L));
        assertThat(counts.firstMessages()).containsEntry("PutRecords:InternalFailure", "disk");
    }
}
