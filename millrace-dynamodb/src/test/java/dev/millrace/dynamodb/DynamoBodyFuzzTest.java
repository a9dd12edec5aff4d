package dev.millrace.dynamodb;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's fuzz test for DynamoDB request bodies (the expression grammar has its own, {@link ExpressionFuzzTest}):
 * every operation with bodies assembled from plausible and hostile parameter values (integers beyond every range,
 * attribute values of every type and of no type, numbers out of range, keys of the wrong type, deep nesting,
 * unknown tables and indexes), byte mutations of them and garbage. Every answer is a 200 or a 400 with an error
 * type, never a 500 or a throwable, and a normal call works afterwards. {@code -Dmillrace.fuzz.cases=N} (default
 * 1,500), {@code -Dmillrace.fuzz.seed=S} ({@code random}).
 */
class DynamoBodyFuzzTest {
    private static final List<String> OPERATIONS = List.of("CreateTable", "DescribeTable", "UpdateTable",
            "DeleteTable", "ListTables", "UpdateContinuousBackups", "DescribeContinuousBackups", "GetItem", "PutItem",
            "UpdateItem", "DeleteItem", "Query", "Scan", "TransactWriteItems", "BatchGetItem", "BatchWriteItem",
            "NoSuchOperation");
    private static final String[] VALUES = {
        "{\"S\":\"k\"}", "{\"S\":\"\"}", "{\"N\":\"1\"}", "{\"N\":\"1E999999999\"}", "{\"N\":\"x\"}", "{\"N\":1}",
        "{\"B\":\"AAAA\"}", "{\"B\":\"!!\"}", "{\"BOOL\":true}", "{\"NULL\":true}", "{\"NULL\":false}", "{}",
        "{\"S\":\"a\",\"N\":\"1\"}", "{\"SS\":[]}", "{\"SS\":[\"a\",\"a\"]}", "{\"NS\":[\"1\",\"1.0\"]}",
        "{\"BS\":[\"AAAA\"]}", "{\"L\":[{\"S\":\"a\"},{\"L\":[]}]}", "{\"M\":{\"a\":{\"S\":\"b\"}}}", "null", "7",
        "\"s\"", "[]", "{\"X\":\"y\"}", deep(40), deep(600)};
    private static final String[] SCALARS = {"0", "1", "-1", "99999999999", "-99999999999", "2147483648", "1.5",
        "1e300", "\"text\"", "true", "null", "[]", "{}"};

    @TempDir
    Path dir;

    private static String deep(int levels) {
        return "{\"L\":[".repeat(levels) + "{\"S\":\"x\"}" + "]}".repeat(levels);
    }

    @Test
    void noBodyGetsA500OrEscapes() {
        String seedProperty = System.getProperty("millrace.fuzz.seed", "20261205");
        long seed = seedProperty.equals("random") ? System.nanoTime() : Long.parseLong(seedProperty);
        Random random = new Random(seed);
        int cases = Integer.getInteger("millrace.fuzz.cases", 1_500);
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            DynamoApi api = new DynamoApi(store, new ManualClock(1_700_000_000_000L));
            DynamoTesting ddb = new DynamoTesting(api);
            ddb.ok("CreateTable", DynamoTesting.LEASE_TABLE);
            for (int i = 0; i < cases; i++) {
                String operation = OPERATIONS.get(random.nextInt(OPERATIONS.size()));
                byte[] body = body(random).getBytes(StandardCharsets.UTF_8);
                if (random.nextInt(5) == 0) {
                    body = body.clone();
                    for (int m = 1 + random.nextInt(3); m > 0 && body.length > 0; m--) {
                        body[random.nextInt(body.length)] = (byte) "{}[]\",:0x".charAt(random.nextInt(9));
                    }
                }
                DynamoApi.Result r = api.handle(DynamoApi.TARGET_PREFIX + operation, body);
                String what = "seed " + seed + ", " + operation + " " + new String(body, StandardCharsets.UTF_8)
                        + " -> " + new String(r.body(), StandardCharsets.UTF_8);
                assertThat(r.httpStatus()).as(what).isIn(200, 400);
                if (r.httpStatus() == 400) {
                    assertThat(r.errorType()).as(what).isNotBlank();
                }
            }
            ddb.raw("DeleteTable", "{'TableName':'app'}"); // the fuzz may have changed or deleted it
            ddb.ok("CreateTable", DynamoTesting.LEASE_TABLE);
            ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'after'}}}");
            assertThat(DynamoTesting.attr(ddb.getLease("after"), "leaseKey")).isEqualTo("after");
        }
    }

    private static String body(Random random) {
        StringBuilder b = new StringBuilder("{");
        String[] members = {"\"TableName\":" + pick(random, "\"app\"", "\"app\"", "\"nope\"", "\"\"", "7",
                "\"" + "t".repeat(300) + "\""),
            "\"Key\":{\"leaseKey\":" + value(random) + "}", "\"Item\":{\"leaseKey\":" + value(random) + ",\"a\":"
                    + value(random) + "}",
            "\"Limit\":" + scalar(random), "\"Segment\":" + scalar(random), "\"TotalSegments\":" + scalar(random),
            "\"ExclusiveStartKey\":{\"leaseKey\":" + value(random) + "}", "\"ExclusiveStartTableName\":\"a\"",
            "\"IndexName\":" + pick(random, "\"i\"", "\"\"", "1"), "\"Select\":" + pick(random, "\"COUNT\"",
                    "\"ALL_ATTRIBUTES\"", "\"SPECIFIC_ATTRIBUTES\"", "\"X\"", "1"),
            "\"ConsistentRead\":" + scalar(random), "\"ReturnValues\":" + pick(random, "\"ALL_NEW\"", "\"ALL_OLD\"",
                    "\"UPDATED_NEW\"", "\"NONE\"", "\"X\""),
            "\"KeyConditionExpression\":\"leaseKey = :v\"", "\"ExpressionAttributeValues\":{\":v\":" + value(random)
                    + "}", "\"Expected\":{\"leaseKey\":{\"Exists\":" + scalar(random) + ",\"Value\":" + value(random)
                    + "}}",
            "\"AttributeUpdates\":{\"a\":{\"Action\":" + pick(random, "\"PUT\"", "\"ADD\"", "\"DELETE\"", "\"X\"")
                    + ",\"Value\":" + value(random) + "}}",
            "\"KeyConditions\":{\"leaseKey\":{\"ComparisonOperator\":" + pick(random, "\"EQ\"", "\"BETWEEN\"",
                    "\"X\"") + ",\"AttributeValueList\":[" + value(random) + "]}}",
            "\"TransactItems\":[{\"Put\":{\"TableName\":\"app\",\"Item\":{\"leaseKey\":" + value(random) + "}}},"
                    + "{\"Update\":{\"TableName\":\"app\",\"Key\":{\"leaseKey\":" + value(random)
                    + "},\"UpdateExpression\":\"SET a = :v\",\"ExpressionAttributeValues\":{\":v\":" + value(random)
                    + "}}}]",
            "\"RequestItems\":{\"app\":" + pick(random, "{\"Keys\":[{\"leaseKey\":" + value(random) + "}]}",
                    "[{\"PutRequest\":{\"Item\":{\"leaseKey\":" + value(random) + "}}}]", "[]", "{}", "7") + "}",
            "\"KeySchema\":[{\"AttributeName\":\"k\",\"KeyType\":" + pick(random, "\"HASH\"", "\"RANGE\"", "1")
                    + "}]", "\"AttributeDefinitions\":[{\"AttributeName\":\"k\",\"AttributeType\":"
                    + pick(random, "\"S\"", "\"N\"", "\"X\"") + "}]",
            "\"BillingMode\":" + pick(random, "\"PAY_PER_REQUEST\"", "\"PROVISIONED\"", "\"X\""),
            "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":" + scalar(random) + ",\"WriteCapacityUnits\":"
                    + scalar(random) + "}",
            "\"PointInTimeRecoverySpecification\":{\"PointInTimeRecoveryEnabled\":" + scalar(random) + "}"};
        int n = random.nextInt(7);
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(members[random.nextInt(members.length)]);
        }
        return b.append('}').toString();
    }

    private static String value(Random random) {
        return VALUES[random.nextInt(VALUES.length)];
    }

    private static String scalar(Random random) {
        return SCALARS[random.nextInt(SCALARS.length)];
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... options) {
        return options[random.nextInt(options.length)];
    }
}
