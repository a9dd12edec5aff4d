package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeliverySpecTest {

    @Test
    void apiValuesGetAwsDefaults() {
        DeliverySpec spec = DeliverySpec.fromApi("abc123", "my-channel", "123456789012", "eu-west-1", "orders",
                "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", 3L, "JSON", "arn:aws:s3:::my-bucket",
                "123456789012", "GZIP", null, null, null, null, null, 300, 5L);
        assertThat(spec.bucket()).isEqualTo("my-bucket");
        assertThat(spec.dlqBucket()).isEqualTo("my-bucket");
        assertThat(spec.dlqPrefix()).isEqualTo("kinesis-channel/errors/my-channel/abc123/");
        assertThat(spec.storageClass()).isEqualTo("STANDARD");
        assertThat(spec.keyTemplate().template()).isEqualTo(KeyTemplate.DEFAULT);
        assertThat(spec.keyTemplate().extension()).isEqualTo(".gz");
        assertThat(spec.recordFormat()).isEqualTo(RecordFormat.JSON);
        assertThat(spec.channelArn()).isEqualTo("arn:aws:kinesis:eu-west-1:123456789012:channel/abc123");
    }

    @Test
    void givenValuesAreKept() {
        DeliverySpec spec = DeliverySpec.fromApi("abc123", "my-channel", "123456789012", "us-gov-west-1", "orders",
                "arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/orders", 3L, "STRING",
                "arn:aws-us-gov:s3:::data", null, "NONE", "GLACIER_IR", "!{channel-name}/", "arn:aws:s3:::errors",
                "210987654321", "failed/", 900, 5L);
        assertThat(spec.bucket()).isEqualTo("data");
        assertThat(spec.dlqBucket()).isEqualTo("errors");
        assertThat(spec.dlqPrefix()).isEqualTo("failed/");
        assertThat(spec.dlqExpectedBucketOwner()).isEqualTo("210987654321");
        assertThat(spec.expectedBucketOwner()).isNull();
        assertThat(spec.streamCreatedMs()).isEqualTo(3L);
        assertThat(spec.storageClass()).isEqualTo("GLACIER_IR");
        assertThat(spec.dataFreshnessSeconds()).isEqualTo(900);
    }

    @Test
    void valuesTheControlPlaneMustRejectAreRejected() {
        assertThatThrownBy(() -> DeliverySpec.fromApi("i", "n", "1", "r", "s", "a", 0, "GSR_JSON", "arn:aws:s3:::b",
                null, "NONE", null, null, null, null, null, 300, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeliverySpec.fromApi("i", "n", "1", "r", "s", "a", 0, "JSON", "arn:aws:s3:::b",
                null, "GZIP", null, "no-extension/", null, null, null, 300, 0))
                .hasMessageContaining("!{extension}");
        assertThatThrownBy(() -> DeliverySpec.bucketOf("arn:aws:s3tables:us-east-1:1:bucket/b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeliverySpec("i", "n", "1", "r", "s", "a", 0, RecordFormat.JSON, "b", null,
                Compression.GZIP, "STANDARD", KeyTemplate.parse("x/!{extension}", "ZSTD"), "b", null, "", 300, 0))
                .hasMessageContaining("compression");
    }
}
