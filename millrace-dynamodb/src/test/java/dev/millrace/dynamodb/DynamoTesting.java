package dev.millrace.dynamodb;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives a {@link DynamoApi} with JSON bodies written with single quotes (turned into double quotes) and reads the
 * answers back as plain maps.
 *
 * <p>Not thread-safe beyond what DynamoApi is.
 */
final class DynamoTesting {
    static final String LEASE_TABLE = """
            {'TableName':'app','KeySchema':[{'AttributeName':'leaseKey','KeyType':'HASH'}],
             'AttributeDefinitions':[{'AttributeName':'leaseKey','AttributeType':'S'}],
             'BillingMode':'PAY_PER_REQUEST','DeletionProtectionEnabled':false,'Tags':[]}""";

    private final DynamoApi api;

    DynamoTesting(DynamoApi api) {
        this.api = api;
    }

    static byte[] json(String singleQuoted) {
        return singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    DynamoApi.Result raw(String op, String body) {
        return api.handle(DynamoApi.TARGET_PREFIX + op, json(body));
    }

    /** Calls an operation that must succeed; returns the response. */
    Map<String, Object> ok(String op, String body) {
        DynamoApi.Result r = raw(op, body);
        assertThat(r.httpStatus()).as("%s: %s", op, new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.errorType()).isNull();
        return DynamoJson.parseObject(r.body());
    }

    /** Calls an operation that must fail with {@code errorType}; returns the error body. */
    Map<String, Object> fails(String op, String body, String errorType) {
        DynamoApi.Result r = raw(op, body);
        assertThat(r.errorType()).as("%s: %s", op, new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(errorType);
        assertThat(r.httpStatus()).isEqualTo(400);
        Map<String, Object> error = DynamoJson.parseObject(r.body());
        assertThat((String) error.get("__type")).endsWith("#" + errorType);
        return error;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** The S or N text of attribute {@code name} of an item in a response. */
    static String attr(Object item, String name) {
        Map<String, Object> v = map(map(item).get(name));
        if (v == null) {
            return null;
        }
        return (String) v.values().iterator().next();
    }

    Map<String, Object> getLease(String key) {
        return map(ok("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'" + key + "'}},'ConsistentRead':true}")
                .get("Item"));
    }

    void createLease(String key, String owner, long counter) {
        ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'" + key + "'},'leaseOwner':{'S':'" + owner
                + "'},'leaseCounter':{'N':'" + counter + "'},'checkpoint':{'S':'TRIM_HORIZON'},"
                + "'checkpointSubSequenceNumber':{'N':'0'},'ownerSwitchesSinceCheckpoint':{'N':'0'}},"
                + "'Expected':{'leaseKey':{'Exists':false}}}");
    }
}
