package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Accounts, ARNs per partition, and each region's part of the metadata store. */
class RegionsStateTest {
    @TempDir
    Path dir;

    @Test
    void arnsNameTheRegionItsPartitionAndTheAccount() {
        Account account = new Account("eu-west-1", "123456789012");
        assertThat(account.streamArn("s")).isEqualTo("arn:aws:kinesis:eu-west-1:123456789012:stream/s");
        assertThat(account.in("cn-north-1").streamArn("s")).startsWith("arn:aws-cn:kinesis:cn-north-1:");
        assertThat(account.in("us-gov-west-1").streamArn("s")).startsWith("arn:aws-us-gov:kinesis:us-gov-west-1:");
        assertThat(account.streamNameOf("arn:aws:kinesis:eu-west-1:123456789012:stream/s")).isEqualTo("s");
        assertThat(account.streamNameOf("arn:aws:kinesis:eu-west-1:123456789012:stream/s/consumer/c:1"))
                .as("a consumer ARN is not a stream ARN").isNull();
        assertThat(account.streamNameOf("arn:aws:kinesis:eu-west-2:123456789012:stream/s")).isNull();
        assertThat(account.streamNameOf("arn:aws:kinesis:eu-west-1:000000000000:stream/s")).isNull();
        assertThat(Account.isRegion("ap-southeast-5")).isTrue();
        assertThat(Account.isRegion("us-gov-east-1")).isTrue();
        assertThat(Account.isRegion("moon")).isFalse();
        assertThat(Account.isRegion("../../etc-1")).isFalse();
        assertThatThrownBy(() -> new Account("us-east-1", "12")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRegionSeesOnlyItsOwnKeysAndTheLegacyRegionKeepsTheBareOnes() {
        try (MetadataStore store = FileMetadataStore.open(dir)) {
            MetadataStore legacy = RegionMetadata.of(store, "us-east-1");
            MetadataStore ireland = RegionMetadata.of(store, "eu-west-1");
            legacy.commit(Map.of("stream/a", bytes("east")));
            ireland.commit(Map.of("stream/a", bytes("ireland"), "stream/b", bytes("b")));
            assertThat(store.get("stream/a")).map(RegionsStateTest::text).contains("east");
            assertThat(store.get("region/eu-west-1/stream/a")).map(RegionsStateTest::text).contains("ireland");
            assertThat(legacy.scan("stream/")).containsOnlyKeys("stream/a");
            assertThat(ireland.scan("stream/")).containsOnlyKeys("stream/a", "stream/b");
            assertThat(RegionMetadata.storedRegions(store)).containsExactly("eu-west-1");
            ireland.close();
            assertThat(store.get("stream/a")).isPresent(); // closing a view leaves the store open
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
