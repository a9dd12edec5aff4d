package dev.millrace.dynamodb;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.millrace.dynamodb.DynamoTesting.attr;
import static dev.millrace.dynamodb.DynamoTesting.list;
import static dev.millrace.dynamodb.DynamoTesting.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expression forms (the Lock Client's, the enhanced client's, CoordinatorState's), transactions, error shapes and
 * atomicity under concurrency.
 */
class ExpressionsAndTransactionsTest {
    @TempDir
    Path dir;
    FileMetadataStore store;
    DynamoApi api;
    DynamoTesting ddb;

    @BeforeEach
    void setUp() {
        store = FileMetadataStore.open(dir);
        api = new DynamoApi(store, new ManualClock(1_700_000_000_000L));
        ddb = new DynamoTesting(api);
        ddb.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        ddb.ok("CreateTable", "{'TableName':'app-CoordinatorState','KeySchema':[{'AttributeName':'key',"
                + "'KeyType':'HASH'}],'AttributeDefinitions':[{'AttributeName':'key','AttributeType':'S'}],"
                + "'BillingMode':'PAY_PER_REQUEST'}");
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void lockClientAcquireHeartbeatAndRelease() {
        String acquire = "{'TableName':'app-CoordinatorState','Item':{'key':{'S':'Leader'},'ownerName':{'S':'w1'},"
                + "'leaseDuration':{'S':'10000'},'recordVersionNumber':{'S':'rvn-1'}},"
                + "'ConditionExpression':'attribute_not_exists(#pk)','ExpressionAttributeNames':{'#pk':'key'}}";
        ddb.ok("PutItem", acquire);
        ddb.fails("PutItem", acquire, "ConditionalCheckFailedException");

        ddb.ok("UpdateItem", "{'TableName':'app-CoordinatorState','Key':{'key':{'S':'Leader'}},"
                + "'UpdateExpression':'SET #ld = :ld, #rvn = :newRvn REMOVE #d',"
                + "'ConditionExpression':'attribute_exists(#pk) AND #rvn = :rvn AND #on = :on',"
                + "'ExpressionAttributeNames':{'#pk':'key','#ld':'leaseDuration','#rvn':'recordVersionNumber',"
                + "'#on':'ownerName','#d':'data'},'ExpressionAttributeValues':{':ld':{'S':'10000'},"
                + "':newRvn':{'S':'rvn-2'},':rvn':{'S':'rvn-1'},':on':{'S':'w1'}}}");
        assertThat(attr(get("app-CoordinatorState", "key", "Leader"), "recordVersionNumber")).isEqualTo("rvn-2");

        ddb.ok("UpdateItem", "{'TableName':'app-CoordinatorState','Key':{'key':{'S':'Leader'}},"
                + "'UpdateExpression':'SET #k0 = :v0,#k1 = :v1 REMOVE #ir ',"
                + "'ConditionExpression':'(attribute_exists(#pk) AND #rvn = :rvn) AND NOT #ir = :ir',"
                + "'ExpressionAttributeNames':{'#pk':'key','#rvn':'recordVersionNumber','#ir':'isReleased',"
                + "'#k0':'ownerName','#k1':'recordVersionNumber'},'ExpressionAttributeValues':{"
                + "':rvn':{'S':'rvn-2'},':ir':{'S':'1'},':v0':{'S':'w2'},':v1':{'S':'rvn-3'}}}");
        assertThat(attr(get("app-CoordinatorState", "key", "Leader"), "ownerName")).isEqualTo("w2");

        ddb.fails("DeleteItem", "{'TableName':'app-CoordinatorState','Key':{'key':{'S':'Leader'}},"
                + "'ConditionExpression':'attribute_exists(#pk) AND #rvn = :rvn',"
                + "'ExpressionAttributeNames':{'#pk':'key','#rvn':'recordVersionNumber'},"
                + "'ExpressionAttributeValues':{':rvn':{'S':'rvn-2'}}}", "ConditionalCheckFailedException");
        Map<String, Object> deleted = ddb.ok("DeleteItem", "{'TableName':'app-CoordinatorState',"
                + "'Key':{'key':{'S':'Leader'}},'ReturnValues':'ALL_OLD',"
                + "'ConditionExpression':'attribute_exists(#pk) AND #rvn = :rvn',"
                + "'ExpressionAttributeNames':{'#pk':'key','#rvn':'recordVersionNumber'},"
                + "'ExpressionAttributeValues':{':rvn':{'S':'rvn-3'}}}");
        assertThat(attr(deleted.get("Attributes"), "ownerName")).isEqualTo("w2");
        assertThat(get("app-CoordinatorState", "key", "Leader")).isNull();
    }

    private Map<String, Object> get(String table, String keyName, String key) {
        return map(ddb.ok("GetItem", "{'TableName':'" + table + "','Key':{'" + keyName + "':{'S':'" + key
                + "'}},'ConsistentRead':true}").get("Item"));
    }

    @Test
    void updateExpressionFunctionsAndProjection() {
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'k'},'n':{'N':'10'},'tags':{'SS':['a','b']},"
                + "'m':{'M':{'inner':{'N':'1'}}},'l':{'L':[{'S':'x'}]}}}");
        Map<String, Object> r = ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'UpdateExpression':'SET n = n + :one, c = if_not_exists(c, :zero), l = list_append(l, :more), "
                + "m.inner = :two, #neg = :zero - :one ADD counter :one, tags :c',"
                + "'ExpressionAttributeNames':{'#neg':'negative'},"
                + "'ExpressionAttributeValues':{':one':{'N':'1'},':zero':{'N':'0'},':two':{'N':'2'},"
                + "':more':{'L':[{'S':'y'}]},':c':{'SS':['c']},':a':{'SS':['a']}},'ReturnValues':'ALL_NEW'}");
        Map<String, Object> item = map(r.get("Attributes"));
        assertThat(attr(item, "n")).isEqualTo("11");
        assertThat(attr(item, "c")).isEqualTo("0");
        assertThat(attr(item, "counter")).isEqualTo("1");
        assertThat(attr(item, "negative")).isEqualTo("-1");
        assertThat(list(map(item.get("l")).get("L"))).hasSize(2);
        assertThat(list(map(item.get("tags")).get("SS"))).containsExactlyInAnyOrder("a", "b", "c");
        ddb.fails("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'ADD tags :c "
                + "DELETE tags :c','ExpressionAttributeValues':{':c':{'SS':['c']}}}", "ValidationException");
        Map<String, Object> deleted = ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'UpdateExpression':'DELETE tags :a','ExpressionAttributeValues':{':a':{'SS':['a','zz']}},"
                + "'ReturnValues':'UPDATED_NEW'}");
        assertThat(list(map(map(deleted.get("Attributes")).get("tags")).get("SS"))).containsExactlyInAnyOrder("b", "c");
        assertThat(attr(map(map(item.get("m")).get("M")), "inner")).isEqualTo("2");

        ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'REMOVE c, l[0]',"
                + "'ConditionExpression':'n BETWEEN :lo AND :hi AND size(tags) = :two AND contains(tags, :b) "
                + "AND begins_with(leaseKey, :k) AND attribute_type(n, :numType) AND n IN (:lo, :eleven)',"
                + "'ExpressionAttributeValues':{':lo':{'N':'1.0'},':hi':{'N':'1e2'},':two':{'N':'2'},"
                + "':b':{'S':'b'},':k':{'S':'k'},':numType':{'S':'N'},':eleven':{'N':'11.00'}}}");
        Map<String, Object> projected = map(ddb.ok("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'ProjectionExpression':'#n, l, m.inner, missing','ExpressionAttributeNames':{'#n':'n'}}")
                .get("Item"));
        assertThat(projected).containsOnlyKeys("n", "l", "m");
        assertThat(list(map(projected.get("l")).get("L"))).hasSize(1);

        ddb.fails("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'SET leaseKey = :v',"
                + "'ExpressionAttributeValues':{':v':{'S':'other'}}}", "ValidationException");
        ddb.fails("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'SET x = :undefined'}",
                "ValidationException");
        ddb.fails("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'SET = :v',"
                + "'ExpressionAttributeValues':{':v':{'S':'x'}}}", "ValidationException");
        ddb.fails("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'SET a = :v',"
                + "'AttributeUpdates':{'b':{'Value':{'S':'x'}}},'ExpressionAttributeValues':{':v':{'S':'x'}}}",
                "ValidationException");
    }

    @Test
    void enhancedClientUpsertAndConditionalDelete() {
        ddb.ok("CreateTable", "{'TableName':'app-WorkerMetricStats','KeySchema':[{'AttributeName':'wid',"
                + "'KeyType':'HASH'}],'AttributeDefinitions':[{'AttributeName':'wid','AttributeType':'S'}],"
                + "'BillingMode':'PAY_PER_REQUEST'}");
        String upsert = "{'TableName':'app-WorkerMetricStats','Key':{'wid':{'S':'w1'}},"
                + "'UpdateExpression':'SET #AMZN_MAPPED_lastUpdateTime = :AMZN_MAPPED_lastUpdateTime, "
                + "#AMZN_MAPPED_metricStats = :AMZN_MAPPED_metricStats',"
                + "'ExpressionAttributeNames':{'#AMZN_MAPPED_lastUpdateTime':'lut','#AMZN_MAPPED_metricStats':'sts'},"
                + "'ExpressionAttributeValues':{':AMZN_MAPPED_lastUpdateTime':{'N':'%d'},"
                + "':AMZN_MAPPED_metricStats':{'M':{'CPU':{'L':[{'N':'12.5'},{'N':'40'}]}}}},'ReturnValues':'ALL_NEW'}";
        ddb.ok("UpdateItem", upsert.formatted(100));
        ddb.ok("UpdateItem", upsert.formatted(200));
        String delete = "{'TableName':'app-WorkerMetricStats','Key':{'wid':{'S':'w1'}},"
                + "'ConditionExpression':'#key = :value AND attribute_exists (wid)',"
                + "'ExpressionAttributeNames':{'#key':'lut'},'ExpressionAttributeValues':{':value':{'N':'%d'}}}";
        ddb.fails("DeleteItem", delete.formatted(100), "ConditionalCheckFailedException");
        ddb.ok("DeleteItem", delete.formatted(200));
        assertThat(list(ddb.ok("Scan", "{'TableName':'app-WorkerMetricStats'}").get("Items"))).isEmpty();
    }

    @Test
    void transactWriteItemsIsAllOrNothing() {
        ddb.ok("PutItem", "{'TableName':'app-CoordinatorState','Item':{'key':{'S':'Migration'},'v':{'N':'1'}}}");
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'Taken'}}}");
        String transact = "{'TransactItems':["
                + "{'Put':{'TableName':'app','Item':{'leaseKey':{'S':'%s'},'entityType':{'S':'coordinator'}},"
                + "'ConditionExpression':'attribute_not_exists(leaseKey)'}},"
                + "{'Delete':{'TableName':'app-CoordinatorState','Key':{'key':{'S':'Migration'}}}},"
                + "{'Update':{'TableName':'app','Key':{'leaseKey':{'S':'Counter'}},'UpdateExpression':'ADD n :one',"
                + "'ExpressionAttributeValues':{':one':{'N':'1'}}}}]}";
        Map<String, Object> error = ddb.fails("TransactWriteItems", transact.formatted("Taken"),
                "TransactionCanceledException");
        assertThat(error.get("Message").toString()).contains("[ConditionalCheckFailed, None, None]");
        List<Object> reasons = list(error.get("CancellationReasons"));
        assertThat(map(reasons.get(0))).containsEntry("Code", "ConditionalCheckFailed");
        assertThat(map(reasons.get(1))).containsEntry("Code", "None");
        assertThat(get("app-CoordinatorState", "key", "Migration")).as("delete rolled back").isNotNull();
        assertThat(get("app", "leaseKey", "Counter")).as("update rolled back").isNull();

        ddb.ok("TransactWriteItems", transact.formatted("Migration"));
        assertThat(get("app-CoordinatorState", "key", "Migration")).isNull();
        assertThat(attr(get("app", "leaseKey", "Migration"), "entityType")).isEqualTo("coordinator");
        assertThat(attr(get("app", "leaseKey", "Counter"), "n")).isEqualTo("1");

        ddb.fails("TransactWriteItems", "{'TransactItems':["
                + "{'ConditionCheck':{'TableName':'app','Key':{'leaseKey':{'S':'Counter'}},"
                + "'ConditionExpression':'attribute_exists(leaseKey)'}},"
                + "{'Delete':{'TableName':'app','Key':{'leaseKey':{'S':'Counter'}}}}]}", "ValidationException");
    }

    @Test
    void batchWriteAndBatchGet() {
        ddb.ok("BatchWriteItem", "{'RequestItems':{'app':[{'PutRequest':{'Item':{'leaseKey':{'S':'a'}}}},"
                + "{'PutRequest':{'Item':{'leaseKey':{'S':'b'},'x':{'BOOL':true}}}}]}}");
        ddb.ok("BatchWriteItem", "{'RequestItems':{'app':[{'DeleteRequest':{'Key':{'leaseKey':{'S':'a'}}}}]}}");
        Map<String, Object> r = ddb.ok("BatchGetItem", "{'RequestItems':{'app':{'Keys':[{'leaseKey':{'S':'a'}},"
                + "{'leaseKey':{'S':'b'}}],'ConsistentRead':true}}}");
        List<Object> items = list(map(r.get("Responses")).get("app"));
        assertThat(items).hasSize(1);
        assertThat(map(map(items.get(0)).get("x"))).containsEntry("BOOL", true);
        assertThat(map(r.get("UnprocessedKeys"))).isEmpty();
    }

    @Test
    void errorShapes() {
        DynamoApi.Result unknown = api.handle("DynamoDB_20120810.CreateBackup", DynamoTesting.json("{}"));
        assertThat(unknown.httpStatus()).isEqualTo(400);
        assertThat(unknown.errorType()).isEqualTo("UnknownOperationException");
        assertThat(new String(unknown.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}");

        Map<String, Object> missing = ddb.fails("GetItem", "{'TableName':'nope','Key':{'k':{'S':'x'}}}",
                "ResourceNotFoundException");
        assertThat(missing).containsEntry("__type", "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException")
                .containsEntry("message", "Requested resource not found");
        assertThat(ddb.fails("DescribeTable", "{'TableName':'nope'}", "ResourceNotFoundException"))
                .containsEntry("message", "Requested resource not found: Table: nope not found");
        assertThat(ddb.fails("GetItem", "{'TableName':'app','Key':{'other':{'S':'x'}}}", "ValidationException"))
                .containsEntry("__type", "com.amazon.coral.validate#ValidationException")
                .containsEntry("message", "The provided key element does not match the schema");
        ddb.fails("PutItem", "{'TableName':'app','Item':{'leaseKey':{'N':'1'}}}", "ValidationException");
        ddb.fails("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'x'}},'ReturnValues':'ALL_NEW'}",
                "ValidationException");
        DynamoApi.Result malformed = api.handle("DynamoDB_20120810.GetItem",
                "{\"TableName\":".getBytes(StandardCharsets.UTF_8));
        assertThat(malformed.errorType()).isEqualTo("SerializationException");
    }

    @Test
    void conditionalWritesAreAtomicUnderContention() throws Exception {
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'counter'},'n':{'N':'0'}}}");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int worker = i;
                results.add(pool.submit(() -> {
                    api.handle(DynamoApi.TARGET_PREFIX + "UpdateItem", DynamoTesting.json(
                            "{'TableName':'app','Key':{'leaseKey':{'S':'counter'}},"
                                    + "'AttributeUpdates':{'n':{'Value':{'N':'1'},'Action':'ADD'}}}"));
                    return api.handle(DynamoApi.TARGET_PREFIX + "PutItem", DynamoTesting.json(
                            "{'TableName':'app','Item':{'leaseKey':{'S':'lease'},'leaseOwner':{'S':'w" + worker
                                    + "'}},'Expected':{'leaseKey':{'Exists':false}}}")).httpStatus();
                }));
            }
            int created = 0;
            for (Future<Integer> f : results) {
                created += f.get() == 200 ? 1 : 0;
            }
            assertThat(created).isEqualTo(1);
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(attr(get("app", "leaseKey", "counter"), "n")).isEqualTo("200");
    }

    @Test
    void queryOnCompositeKeyRespectsSortOrderAndKeyConditions() {
        ddb.ok("CreateTable", "{'TableName':'events','KeySchema':[{'AttributeName':'p','KeyType':'HASH'},"
                + "{'AttributeName':'s','KeyType':'RANGE'}],'AttributeDefinitions':[{'AttributeName':'p',"
                + "'AttributeType':'S'},{'AttributeName':'s','AttributeType':'N'}],'BillingMode':'PAY_PER_REQUEST'}");
        for (int s : new int[] {10, 2, 33, 4, 100}) {
            ddb.ok("PutItem", "{'TableName':'events','Item':{'p':{'S':'a'},'s':{'N':'" + s + "'}}}");
        }
        ddb.ok("PutItem", "{'TableName':'events','Item':{'p':{'S':'b'},'s':{'N':'5'}}}");
        Map<String, Object> desc = ddb.ok("Query", "{'TableName':'events','KeyConditionExpression':"
                + "'#p = :p AND #s BETWEEN :lo AND :hi','ScanIndexForward':false,"
                + "'ExpressionAttributeNames':{'#p':'p','#s':'s'},"
                + "'ExpressionAttributeValues':{':p':{'S':'a'},':lo':{'N':'3'},':hi':{'N':'50'}}}");
        List<String> sorts = new ArrayList<>();
        list(desc.get("Items")).forEach(i -> sorts.add(attr(i, "s")));
        assertThat(sorts).containsExactly("33", "10", "4");
        Map<String, Object> legacy = ddb.ok("Query", "{'TableName':'events','KeyConditions':{"
                + "'p':{'ComparisonOperator':'EQ','AttributeValueList':[{'S':'a'}]},"
                + "'s':{'ComparisonOperator':'GT','AttributeValueList':[{'N':'10'}]}},'Select':'COUNT'}");
        assertThat(legacy).containsEntry("Count", 2L).doesNotContainKey("Items");
        ddb.fails("Query", "{'TableName':'events','KeyConditionExpression':'s = :s',"
                + "'ExpressionAttributeValues':{':s':{'N':'1'}}}", "ValidationException");
    }
}
