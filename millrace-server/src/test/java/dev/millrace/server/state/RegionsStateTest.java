package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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

    @Test
    void twoAccountsInOneRegionKeepApartStreamsOfOneNameAndTheirLogs() {
        Account own = new Account("us-east-1", "000000000000");
        Account other = new Account("us-east-1", "111122223333");
        Account otherIreland = other.in("eu-west-1");
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        try (FileMetadataStore store = FileMetadataStore.open(dir.resolve("meta"));
             EmbeddedLogStore logs = EmbeddedLogStore.open(LogConfig.defaults(dir.resolve("logs")), clock)) {
            StreamRegistry mine = registry(store, logs, clock, own, own.id());
            StreamRegistry theirs = registry(store, logs, clock, other, own.id());
            StreamRegistry theirsIreland = registry(store, logs, clock, otherIreland, own.id());
            for (StreamRegistry r : List.of(mine, theirs, theirsIreland)) {
                r.create("orders", 1, "PROVISIONED", Map.of(), 1024, null, null);
                StreamRecord s = r.find("orders").orElseThrow();
                r.logForAppend(s, s.shards().get(0)).append(List.of(new AppendRecord("k", null,
                        bytes(r.account().id() + r.account().region()))));
            }
            assertThat(store.get("stream/orders")).as("the own account keeps the bare keys").isPresent();
            assertThat(store.scan("account/111122223333/region/us-east-1/")).isNotEmpty();
            assertThat(store.scan("account/111122223333/region/eu-west-1/")).isNotEmpty();
            assertThat(RegionMetadata.storedScopes(store, own.id())).containsExactlyInAnyOrder(other, otherIreland);
            assertThat(logs.shardKeys()).hasSize(3).anyMatch(k -> Character.isDigit(k.charAt(0)))
                    .anyMatch(k -> k.startsWith("a111122223333.us-east-1."))
                    .anyMatch(k -> k.startsWith("a111122223333.eu-west-1."));

            // Deleting the stream in the other account leaves the own account's stream and records alone.
            theirs.delete("orders");
            assertThat(mine.find("orders")).isPresent();
            assertThat(theirsIreland.find("orders")).isPresent();

            // A restart's orphan cleanup in each account's region deletes none of another's logs.
            int before = logs.shardKeys().size();
            for (StreamRegistry r : List.of(registry(store, logs, clock, own, own.id()),
                    registry(store, logs, clock, otherIreland, own.id()))) {
                r.recover();
            }
            assertThat(logs.shardKeys()).hasSize(before);
        }
    }

    private static StreamRegistry registry(MetadataStore store, EmbeddedLogStore logs, ManualClock clock,
                                           Account scope, String ownId) {
        return new StreamRegistry(RegionMetadata.of(store, scope, ownId), logs, clock, scope, 0, 1_000, () -> true,
                RegionMetadata.logPrefix(scope, ownId));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
