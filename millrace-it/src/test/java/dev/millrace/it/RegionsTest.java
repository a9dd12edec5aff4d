package dev.millrace.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Regions and accounts as on AWS: a stream belongs to the region its creating request was signed for, the same name
 * may exist in several regions, ARNs carry the region and the configured account id, and all of it survives a
 * restart.
 */
class RegionsTest {
    private static final String ACCOUNT = "123456789012";
    private Path dataDir;

    @AfterEach
    void cleanUp() throws IOException {
        KinesisApiContract.deleteTree(dataDir);
    }

    @Test
    void eachRegionHasItsOwnStreamsAcrossARestart() throws IOException {
        dataDir = Files.createTempDirectory("millrace-it-regions-");
        try (MillraceProcess first = MillraceProcess.start(dataDir, "--account-id", ACCOUNT)) {
            URI endpoint = first.awaitReady();
            try (KinesisClient east = Clients.inRegion(endpoint, Region.US_EAST_1);
                 KinesisClient frankfurt = Clients.inRegion(endpoint, Region.EU_CENTRAL_1)) {
                Streams.createActive(east, "orders", 1);
                Streams.createActive(frankfurt, "orders", 3);
                assertThatThrownBy(() -> frankfurt.createStream(b -> b.streamName("orders").shardCount(1)))
                        .isInstanceOf(ResourceInUseException.class).hasMessageContaining(ACCOUNT);
                east.putRecord(b -> b.streamName("orders").partitionKey("k").data(SdkBytes.fromUtf8String("east")));
                frankfurt.putRecord(b -> b.streamName("orders").partitionKey("k")
                        .data(SdkBytes.fromUtf8String("frankfurt")));
                assertRegions(east, frankfurt);
            }
            assertThat(first.stop()).isZero();
        }
        try (MillraceProcess second = MillraceProcess.start(dataDir, "--account-id", ACCOUNT)) {
            URI endpoint = second.awaitReady();
            try (KinesisClient east = Clients.inRegion(endpoint, Region.US_EAST_1);
                 KinesisClient frankfurt = Clients.inRegion(endpoint, Region.EU_CENTRAL_1);
                 KinesisClient moon = Clients.inRegion(endpoint, Region.of("moon-base-1x"))) {
                assertRegions(east, frankfurt);
                assertThat(Clients.inRegion(endpoint, Region.AP_SOUTHEAST_2).listStreams().streamNames()).isEmpty();
                assertThatThrownBy(moon::listStreams).isInstanceOfSatisfying(KinesisException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
                    assertThat(e.getMessage()).contains("valid region");
                });
            }
        }
    }

    private static void assertRegions(KinesisClient east, KinesisClient frankfurt) {
        String eastArn = east.describeStreamSummary(b -> b.streamName("orders")).streamDescriptionSummary()
                .streamARN();
        String frankfurtArn = frankfurt.describeStreamSummary(b -> b.streamName("orders"))
                .streamDescriptionSummary().streamARN();
        assertThat(eastArn).isEqualTo("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/orders");
        assertThat(frankfurtArn).isEqualTo("arn:aws:kinesis:eu-central-1:" + ACCOUNT + ":stream/orders");
        assertThat(Streams.shards(east, "orders")).hasSize(1);
        assertThat(Streams.shards(frankfurt, "orders")).hasSize(3);
        assertThat(Streams.readShard(east, "orders", "shardId-000000000000", 10))
                .extracting(r -> r.data().asUtf8String()).containsExactly("east");
        // An ARN names its region: the other region's client does not find it.
        assertThatThrownBy(() -> east.describeStreamSummary(b -> b.streamARN(frankfurtArn)))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThat(frankfurt.listStreams().streamNames()).containsExactly("orders");
    }
}
