package dev.millrace.dynamodb;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.millrace.dynamodb.DynamoTesting.attr;
import static dev.millrace.dynamodb.DynamoTesting.list;
import static dev.millrace.dynamodb.DynamoTesting.map;
import static org.assertj.core.api.Assertions.assertThat;

/** The lease-table calls of KCL 3.x's DynamoDBLeaseRefresher, in the shapes it sends them. */
class KclLeaseFlowTest {
    @TempDir
    Path dir;
    FileMetadataStore store;
    DynamoTesting ddb;

    @BeforeEach
    void setUp() {
        store = FileMetadataStore.open(dir);
        ddb = new DynamoTesting(new DynamoApi(store, new ManualClock(1_700_000_000_000L)));
        ddb.ok("CreateTable", DynamoTesting.LEASE_TABLE);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void describeTableReportsActivePayPerRequestTable() {
        Map<String, Object> table = map(ddb.ok("DescribeTable", "{'TableName':'app'}").get("Table"));
        assertThat(table.get("TableStatus")).isEqualTo("ACTIVE");
        assertThat(table.get("TableArn")).isEqualTo("arn:aws:dynamodb:us-east-1:000000000000:table/app");
        assertThat(map(table.get("BillingModeSummary")).get("BillingMode")).isEqualTo("PAY_PER_REQUEST");
        assertThat(map(list(table.get("KeySchema")).get(0))).containsEntry("AttributeName", "leaseKey")
                .containsEntry("KeyType", "HASH");
        assertThat(table.get("ItemCount")).isEqualTo(0L);
        assertThat(table.get("CreationDateTime").toString()).isEqualTo("1700000000.000");
        ddb.fails("CreateTable", DynamoTesting.LEASE_TABLE, "ResourceInUseException");
    }

    @Test
    void leaseCreationIsConditionalOnAbsence() {
        ddb.createLease("shardId-0", "w1", 0);
        Map<String, Object> error = ddb.fails("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'shardId-0'}},"
                + "'Expected':{'leaseKey':{'Exists':false}}}", "ConditionalCheckFailedException");
        assertThat(error).containsEntry("__type",
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException")
                .containsEntry("message", "The conditional request failed");
        assertThat(attr(ddb.getLease("shardId-0"), "leaseOwner")).isEqualTo("w1");
    }

    @Test
    void renewIncrementsCounterOnlyWhenCounterMatches() {
        ddb.createLease("shardId-0", "w1", 5);
        String renew = "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'Expected':{'leaseCounter':{'Value':{'N':'%s'}},'leaseOwner':{'Value':{'S':'w1'}}},"
                + "'AttributeUpdates':{'leaseCounter':{'Value':{'N':'%s'},'Action':'PUT'}},"
                + "'ReturnValues':'ALL_NEW','ReturnValuesOnConditionCheckFailure':'ALL_OLD'}";
        Map<String, Object> renewed = ddb.ok("UpdateItem", renew.formatted("5", "6"));
        assertThat(attr(renewed.get("Attributes"), "leaseCounter")).isEqualTo("6");
        assertThat(attr(renewed.get("Attributes"), "checkpoint")).isEqualTo("TRIM_HORIZON");

        Map<String, Object> stale = ddb.fails("UpdateItem", renew.formatted("5", "6"),
                "ConditionalCheckFailedException");
        assertThat(attr(stale.get("Item"), "leaseCounter")).as("ALL_OLD item in the error").isEqualTo("6");
        assertThat(attr(ddb.getLease("shardId-0"), "leaseCounter")).isEqualTo("6");
    }

    @Test
    void takeLeaseMovesOwnerDeletesCheckpointOwnerAndAddsSwitch() {
        ddb.createLease("shardId-0", "w1", 3);
        ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'Expected':{'leaseCounter':{'Value':{'N':'3'}}},"
                + "'AttributeUpdates':{'leaseOwner':{'Value':{'S':'w2'},'Action':'PUT'},"
                + "'checkpointOwner':{'Action':'DELETE'},"
                + "'ownerSwitchesSinceCheckpoint':{'Value':{'N':'1'},'Action':'ADD'},"
                + "'leaseCounter':{'Value':{'N':'1'},'Action':'ADD'}}}");
        Map<String, Object> lease = ddb.getLease("shardId-0");
        assertThat(attr(lease, "leaseOwner")).isEqualTo("w2");
        assertThat(attr(lease, "leaseCounter")).isEqualTo("4");
        assertThat(attr(lease, "ownerSwitchesSinceCheckpoint")).isEqualTo("1");
        assertThat(lease).doesNotContainKey("checkpointOwner");

        // Expected Exists=false on an attribute that is present fails; on one that is absent holds.
        ddb.fails("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'Expected':{'leaseOwner':{'Exists':false}},"
                + "'AttributeUpdates':{'leaseOwner':{'Value':{'S':'w3'}}}}", "ConditionalCheckFailedException");
        ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'Expected':{'checkpointOwner':{'Exists':false},'leaseKey':{'Exists':true,'Value':{'S':'shardId-0'}}},"
                + "'AttributeUpdates':{'throughputKBps':{'Value':{'N':'12.5'}}}}");
        assertThat(attr(ddb.getLease("shardId-0"), "throughputKBps")).isEqualTo("12.5");
    }

    @Test
    void checkpointUpdateAndUpdatedNew() {
        ddb.createLease("shardId-0", "w1", 7);
        Map<String, Object> r = ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'Expected':{'leaseCounter':{'Value':{'N':'7'}},'leaseOwner':{'Value':{'S':'w1'}}},"
                + "'AttributeUpdates':{'checkpoint':{'Value':{'S':'49590338271490256608559692538361571095921575989136588898'}},"
                + "'checkpointSubSequenceNumber':{'Value':{'N':'0'},'Action':'PUT'},"
                + "'ownerSwitchesSinceCheckpoint':{'Value':{'N':'0'},'Action':'PUT'},"
                + "'leaseCounter':{'Value':{'N':'8'},'Action':'PUT'}},'ReturnValues':'UPDATED_NEW'}");
        Map<String, Object> attributes = map(r.get("Attributes"));
        assertThat(attributes).containsOnlyKeys("checkpoint", "checkpointSubSequenceNumber",
                "ownerSwitchesSinceCheckpoint", "leaseCounter");
        assertThat(attr(ddb.getLease("shardId-0"), "checkpoint")).startsWith("4959033827");
    }

    @Test
    void queryOnLeaseOwnerIndexPagesThroughOneOwnersLeases() {
        Map<String, Object> updated = ddb.ok("UpdateTable", "{'TableName':'app','AttributeDefinitions':["
                + "{'AttributeName':'leaseOwner','AttributeType':'S'},{'AttributeName':'leaseKey','AttributeType':'S'}],"
                + "'GlobalSecondaryIndexUpdates':[{'Create':{'IndexName':'LeaseOwnerToLeaseKeyIndex',"
                + "'KeySchema':[{'AttributeName':'leaseOwner','KeyType':'HASH'},{'AttributeName':'leaseKey','KeyType':'RANGE'}],"
                + "'Projection':{'ProjectionType':'KEYS_ONLY'}}}]}");
        Map<String, Object> gsi = map(list(map(updated.get("TableDescription")).get("GlobalSecondaryIndexes")).get(0));
        assertThat(gsi).containsEntry("IndexStatus", "ACTIVE").containsEntry("IndexName", "LeaseOwnerToLeaseKeyIndex");
        for (int i = 0; i < 10; i++) {
            ddb.createLease("shardId-" + i, i % 3 == 0 ? "w0" : "w1", 0);
        }
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'unowned'}}}");
        List<String> keys = new ArrayList<>();
        String start = "";
        for (int pages = 0; pages < 10; pages++) {
            Map<String, Object> page = ddb.ok("Query", "{'TableName':'app','IndexName':'LeaseOwnerToLeaseKeyIndex',"
                    + "'KeyConditionExpression':'leaseOwner = :leaseOwner','Limit':3,"
                    + "'ExpressionAttributeValues':{':leaseOwner':{'S':'w0'}}" + start + "}");
            for (Object item : list(page.get("Items"))) {
                assertThat(map(item)).containsOnlyKeys("leaseKey", "leaseOwner");
                keys.add(attr(item, "leaseKey"));
            }
            if (page.get("LastEvaluatedKey") == null) {
                break;
            }
            start = ",'ExclusiveStartKey':" + lastKeyJson(map(page.get("LastEvaluatedKey")));
        }
        assertThat(keys).containsExactly("shardId-0", "shardId-3", "shardId-6", "shardId-9");
        ddb.fails("Query", "{'TableName':'app','IndexName':'LeaseOwnerToLeaseKeyIndex','ConsistentRead':true,"
                + "'KeyConditionExpression':'leaseOwner = :o','ExpressionAttributeValues':{':o':{'S':'w0'}}}",
                "ValidationException");
    }

    private static String lastKeyJson(Map<String, Object> key) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> e : key.entrySet()) {
            sb.append(sb.length() > 1 ? "," : "").append("'").append(e.getKey()).append("':{'S':'")
                    .append(attr(key, e.getKey())).append("'}");
        }
        return sb.append("}").toString();
    }

    @Test
    void parallelScanCoversEveryItemExactlyOnce() {
        for (int i = 0; i < 150; i++) {
            ddb.createLease("shardId-" + String.format("%012d", i), "w", 0);
        }
        int totalSegments = 7;
        List<String> seen = new ArrayList<>();
        Set<Integer> nonEmptySegments = new HashSet<>();
        for (int segment = 0; segment < totalSegments; segment++) {
            String start = "";
            while (true) {
                Map<String, Object> page = ddb.ok("Scan", "{'TableName':'app','Segment':" + segment
                        + ",'TotalSegments':" + totalSegments + ",'Limit':4" + start + "}");
                for (Object item : list(page.get("Items"))) {
                    seen.add(attr(item, "leaseKey"));
                    nonEmptySegments.add(segment);
                }
                if (page.get("LastEvaluatedKey") == null) {
                    break;
                }
                start = ",'ExclusiveStartKey':" + lastKeyJson(map(page.get("LastEvaluatedKey")));
            }
        }
        assertThat(seen).hasSize(150).doesNotHaveDuplicates();
        assertThat(nonEmptySegments).hasSizeGreaterThan(1);
        ddb.fails("Scan", "{'TableName':'app','Segment':7,'TotalSegments':7}", "ValidationException");
    }

    @Test
    void scanFilterOnStreamName() {
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'a'},'streamName':{'S':'s1'}}}");
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'b'},'streamName':{'S':'s2'}}}");
        Map<String, Object> r = ddb.ok("Scan", "{'TableName':'app','FilterExpression':'streamName = :streamName',"
                + "'ExpressionAttributeValues':{':streamName':{'S':'s2'}}}");
        assertThat(list(r.get("Items"))).hasSize(1);
        assertThat(r).containsEntry("Count", 1L).containsEntry("ScannedCount", 2L);
    }

    @Test
    void tablesAndItemsSurviveRestart() {
        ddb.createLease("shardId-0", "w1", 1);
        ddb.ok("UpdateContinuousBackups", "{'TableName':'app','PointInTimeRecoverySpecification':"
                + "{'PointInTimeRecoveryEnabled':true}}");
        ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'AttributeUpdates':{'leaseCounter':{'Value':{'N':'1'},'Action':'ADD'}}}");
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'gone'}}}");
        ddb.ok("DeleteItem", "{'TableName':'app','Key':{'leaseKey':{'S':'gone'}}}");
        store.close();

        store = FileMetadataStore.open(dir);
        ddb = new DynamoTesting(new DynamoApi(store, new ManualClock(1_800_000_000_000L)));
        assertThat(attr(ddb.getLease("shardId-0"), "leaseCounter")).isEqualTo("2");
        assertThat(ddb.ok("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'gone'}}}")).doesNotContainKey("Item");
        Map<String, Object> table = map(ddb.ok("DescribeTable", "{'TableName':'app'}").get("Table"));
        assertThat(table).containsEntry("ItemCount", 1L);
        assertThat(table.get("CreationDateTime").toString()).isEqualTo("1700000000.000");
        Map<String, Object> backups = map(map(ddb.ok("DescribeContinuousBackups", "{'TableName':'app'}")
                .get("ContinuousBackupsDescription")).get("PointInTimeRecoveryDescription"));
        assertThat(backups).containsEntry("PointInTimeRecoveryStatus", "ENABLED");
        ddb.fails("CreateTable", DynamoTesting.LEASE_TABLE, "ResourceInUseException");

        ddb.ok("DeleteTable", "{'TableName':'app'}");
        store.close();
        store = FileMetadataStore.open(dir);
        ddb = new DynamoTesting(new DynamoApi(store, new ManualClock(0)));
        assertThat(list(ddb.ok("ListTables", "{}").get("TableNames"))).isEmpty();
        assertThat(store.scan("dynamodb/")).isEmpty();
    }
}
