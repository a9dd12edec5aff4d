package dev.millrace.server.records;

import dev.millrace.protocol.Account;

import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RemoteAppendTest {

    private static RecordWriter.Entry entry(String key, String explicit, String data) {
        return new RecordWriter.Entry(key, explicit, data.getBytes(StandardCharsets.UTF_8), BigInteger.ONE, 1);
    }

    @Test
    void aRequestRoundTrips() {
        List<RecordWriter.Entry> entries = List.of(entry("k1", null, "one"), entry("ключ", "12345", ""),
                entry("k3", null, "three"));
        byte[] bytes = RemoteAppend.encodeRequest(new Account("eu-west-1", "111122223333"), "orders", 1234L, List.of(Map.entry(7, entries),
                Map.entry(2, List.of(entry("k9", null, "nine")))));
        RemoteAppend.Request r = RemoteAppend.decodeRequest(bytes);
        assertThat(r.scope()).isEqualTo(new Account("eu-west-1", "111122223333"));
        assertThat(r.stream()).isEqualTo("orders");
        assertThat(r.streamEpochMs()).isEqualTo(1234L);
        assertThat(r.groups()).extracting(RemoteAppend.Group::shardIndex).containsExactly(7, 2);
        List<RemoteAppend.Raw> first = r.groups().get(0).entries();
        assertThat(first).hasSize(3);
        assertThat(first.get(1).partitionKey()).isEqualTo("ключ");
        assertThat(first.get(1).explicitHashKey()).isEqualTo("12345");
        assertThat(first.get(1).data()).isEmpty();
        assertThat(first.get(0).explicitHashKey()).isNull();
        assertThat(new String(first.get(2).data(), StandardCharsets.UTF_8)).isEqualTo("three");
        assertThat(new String(r.groups().get(1).entries().get(0).data(), StandardCharsets.UTF_8)).isEqualTo("nine");
    }

    @Test
    void aReplyRoundTripsEveryKindOfOutcome() {
        List<RecordWriter.Outcome> outcomes = List.of(
                new RecordWriter.Written("shardId-000000000007", "4960", "KMS"),
                new RecordWriter.Throttled(KinesisException.client("ProvisionedThroughputExceededException",
                        "Rate exceeded for shard shardId-000000000007")),
                new RecordWriter.Failed("shardId-000000000007", new StorageException("disk full")),
                new RecordWriter.Failed("shardId-000000000007", new ShardSealedException("k")));
        List<RecordWriter.Outcome> back = RemoteAppend.decodeReply(RemoteAppend.encodeReply("KMS", List.of(outcomes,
                List.of())), List.of("shardId-000000000007", "shardId-000000000001"), List.of(4, 0)).get(0);
        assertThat(back.get(0)).isEqualTo(outcomes.get(0));
        assertThat(((RecordWriter.Throttled) back.get(1)).error().errorType())
                .isEqualTo("ProvisionedThroughputExceededException");
        assertThat(((RecordWriter.Throttled) back.get(1)).error().getMessage()).contains("Rate exceeded");
        assertThat(((RecordWriter.Failed) back.get(2)).error()).isNotInstanceOf(ShardSealedException.class)
                .hasMessageContaining("disk full");
        assertThat(((RecordWriter.Failed) back.get(3)).error()).isInstanceOf(ShardSealedException.class);
    }

    @Test
    void bytesThatDoNotParseAreRefused() {
        byte[] good = RemoteAppend.encodeRequest(Account.DEFAULT, "s", 1, List.of(Map.entry(0,
                List.of(entry("k", null, "v")))));
        assertThatThrownBy(() -> RemoteAppend.decodeRequest(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RemoteAppend.decodeRequest(Arrays.copyOf(good, good.length + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("follow");
        byte[] wrongFormat = good.clone();
        wrongFormat[0] = 9;
        assertThatThrownBy(() -> RemoteAppend.decodeRequest(wrongFormat)).isInstanceOf(IllegalArgumentException.class);
        byte[] reply = RemoteAppend.encodeReply("NONE", List.of(List.of(new RecordWriter.Written("s", "1", "NONE"))));
        assertThatThrownBy(() -> RemoteAppend.decodeReply(reply, List.of("s"), List.of(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 outcomes for 2");
        assertThatThrownBy(() -> RemoteAppend.decodeReply(reply, List.of("s", "t"), List.of(1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 groups for 2");
    }
}
