package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Under an authorizing gatekeeper (what {@code --auth sigv4} installs) and a cluster's placement, a GetRecords call
 * reads its iterator four times - the account it addresses, the stream IAM authorizes, the node that owns the shard,
 * the handler - and decodes it (base64 and HMAC) once. AWS's errors for a bad or expired iterator are unchanged.
 */
class IteratorDecodedOnceTest {
    private static final long T0 = 1_767_225_600_000L;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private final List<String> authorized = new ArrayList<>();
    private ApiHarness api;

    @BeforeEach
    void open() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS);
        api.rawApi().secure((caller, operation, resourceArn, scope, services) ->
                authorized.add(operation + " " + resourceArn), id -> false);
        // A cluster's placement reads the iterator too, to find the shard's owner; this one keeps the call here.
        api.rawApi().place((target, operation, request, format, body, requestId, scope) -> {
            if ("GetRecords".equals(operation)) {
                api.iterators.parse(request.string("ShardIterator"));
            }
            return null;
        });
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        api.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}");
    }

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void aGetRecordsCallDecodesItsIteratorOnce() {
        String iterator = iterator();
        long before = api.iterators.decodeCount();

        Object records = api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}").get("Records");

        assertThat((List<?>) records).hasSize(1);
        assertThat(api.iterators.decodeCount() - before).isEqualTo(1);
        assertThat(authorized).as("the authorization read the iterator's stream")
                .contains("GetRecords arn:aws:kinesis:us-east-1:000000000000:stream/s");
    }

    @Test
    void aBadIteratorIsDecodedOnceAndRefusedAsBefore() {
        String iterator = iterator();
        int at = iterator.length() - 10; // within the HMAC
        String forged = iterator.substring(0, at) + (iterator.charAt(at) == 'A' ? 'B' : 'A')
                + iterator.substring(at + 1);
        long before = api.iterators.decodeCount();

        assertThatThrownBy(() -> api.call("GetRecords", "{\"ShardIterator\":\"" + forged + "\"}"))
                .isInstanceOfSatisfying(ApiHarness.ApiError.class, e -> {
                    assertThat(e.type).isEqualTo("InvalidArgumentException");
                    assertThat(e.message).isEqualTo("Invalid ShardIterator.");
                });
        assertThat(api.iterators.decodeCount() - before).isEqualTo(1);
        assertThat(authorized).as("a stream it does not name").contains("GetRecords arn:aws:kinesis:us-east-1:"
                + "000000000000:stream/*");
    }

    @Test
    void anExpiredIteratorIsDecodedOnceAndRefusedAsBefore() {
        String iterator = iterator();
        clock.advanceMs(300_001);
        long before = api.iterators.decodeCount();

        assertThatThrownBy(() -> api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}"))
                .isInstanceOfSatisfying(ApiHarness.ApiError.class, e -> {
                    assertThat(e.type).isEqualTo("ExpiredIteratorException");
                    assertThat(e.message).startsWith("Iterator expired. The iterator was created at time ");
                });
        assertThat(api.iterators.decodeCount() - before).isEqualTo(1);
    }

    private String iterator() {
        return (String) api.call("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\","
                + "\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
    }
}
