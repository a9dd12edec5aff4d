package dev.millrace.dynamodb;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13: DynamoDB's documented expression limits (Developer Guide, Constraints, "Expression parameters": 4 KB per
 * expression, 300 operators or functions, 100 IN operands, 32 levels of nesting; list indexes up to 4294967294), each
 * a ValidationException with DynamoDB's wording. Before them a condition 2,000 parentheses deep overflowed the stack
 * and the request got no answer, and {@code l[99999999999]} was a 500.
 */
class ExpressionLimitsTest {
    @TempDir
    Path dir;
    FileMetadataStore store;
    DynamoTesting ddb;

    @BeforeEach
    void setUp() {
        store = FileMetadataStore.open(dir);
        ddb = new DynamoTesting(new DynamoApi(store, new ManualClock(1_700_000_000_000L)));
        ddb.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'k'},'l':{'L':[{'S':'a'}]}}}");
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private String putWithCondition(String condition) {
        return "{'TableName':'app','Item':{'leaseKey':{'S':'k'}},'ConditionExpression':'" + condition
                + "','ExpressionAttributeValues':{':v':{'S':'k'}}}";
    }

    private String message(String op, String body) {
        return (String) ddb.fails(op, body, "ValidationException").get("message");
    }

    /** Runs the call on a thread with a worker-sized stack, as the server's executor runs it. */
    private DynamoApi.Result onSmallStack(String op, String body) throws InterruptedException {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                outcome.set(ddb.raw(op, body));
            } catch (Throwable e) {
                outcome.set(e);
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        assertThat(outcome.get()).isInstanceOf(DynamoApi.Result.class);
        return (DynamoApi.Result) outcome.get();
    }

    @Test
    void aConditionNested2000ParenthesesDeepIsRefusedNotAStackOverflow() throws InterruptedException {
        String deep = "(".repeat(2_000) + "leaseKey = :v" + ")".repeat(2_000);
        DynamoApi.Result r = onSmallStack("PutItem", putWithCondition(deep));
        assertThat(r.httpStatus()).isEqualTo(400);
        assertThat(r.errorType()).isEqualTo("ValidationException");
        assertThat(new String(r.body(), StandardCharsets.UTF_8))
                .contains("Invalid ConditionExpression: The expression has redundant parentheses;");

        // Deep, with operators on every level: too many operators, whichever limit is met first.
        String chained = "(a=:v AND ".repeat(330) + "a=:v" + ")".repeat(330);
        assertThat(message("PutItem", putWithCondition(chained)))
                .isEqualTo("Invalid ConditionExpression: The expression contains too many operators; "
                        + "operator count: 301");
        String leftNested = "(".repeat(330) + "a=:v" + " AND a=:v)".repeat(330);
        assertThat(message("PutItem", putWithCondition(leftNested)))
                .isEqualTo("Invalid ConditionExpression: The expression contains too many operators; "
                        + "operator count: 301");
        // Nesting that DynamoDB takes still works, up to Millrace's 100 levels; 120 with an operator on each is
        // Millrace's own refusal (DynamoDB would take it).
        ddb.ok("PutItem", putWithCondition("(".repeat(20) + "leaseKey = :v" + ")".repeat(20)));
        ddb.ok("PutItem", putWithCondition("(leaseKey = :v AND ".repeat(99) + "leaseKey = :v" + ")".repeat(99)));
        assertThat(message("PutItem", putWithCondition("(".repeat(120) + "a=:v" + " OR a=:v)".repeat(120))))
                .isEqualTo("Invalid ConditionExpression: The expression is nested too deeply for Millrace; "
                        + "nesting levels: 120, at most: 100");
    }

    @Test
    void anExpressionIsAtMost4KB() {
        String padded = "leaseKey = :v" + " ".repeat(4_096 - 13);
        ddb.ok("PutItem", putWithCondition(padded));
        assertThat(message("PutItem", putWithCondition(padded + " ")))
                .isEqualTo("Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
                        + "expression size: 4097");
        // Bytes, not characters: 2,049 two-byte characters are 4,098 bytes.
        assertThat(message("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'ProjectionExpression':'"
                + "\u00e9".repeat(2_049) + "'}"))
                .isEqualTo("Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size; "
                        + "expression size: 4098");
    }

    @Test
    void anExpressionHasAtMost300Operators() {
        String ors = IntStream.range(0, 150).mapToObj(i -> "leaseKey = :v").collect(Collectors.joining(" OR "));
        ddb.ok("PutItem", putWithCondition(ors)); // 150 comparisons and 149 ORs
        assertThat(message("PutItem", putWithCondition(ors + " OR leaseKey = :v")))
                .isEqualTo("Invalid ConditionExpression: The expression contains too many operators; "
                        + "operator count: 301");
        assertThat(message("PutItem", putWithCondition("NOT ".repeat(400) + "leaseKey = :v")))
                .isEqualTo("Invalid ConditionExpression: The expression contains too many operators; "
                        + "operator count: 301");
        String sets = "SET " + IntStream.range(0, 301).mapToObj(i -> "a" + i + "=:v+:v")
                .collect(Collectors.joining(", "));
        assertThat(message("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'"
                + sets + "','ExpressionAttributeValues':{':v':{'N':'1'}}}"))
                .isEqualTo("Invalid UpdateExpression: The expression contains too many operators; "
                        + "operator count: 301");
    }

    @Test
    void inTakesAtMost100Operands() {
        String hundred = IntStream.range(0, 100).mapToObj(i -> ":v").collect(Collectors.joining(","));
        ddb.ok("PutItem", putWithCondition("leaseKey IN (" + hundred + ")"));
        assertThat(message("PutItem", putWithCondition("leaseKey IN (" + hundred + ",:v)")))
                .isEqualTo("Invalid ConditionExpression: The IN operator is provided with too many operands; "
                        + "number of operands: 101");
    }

    @Test
    void aDocumentPathHasAtMost32Levels() {
        String path32 = "m" + ".m".repeat(31);
        ddb.ok("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'ProjectionExpression':'" + path32 + "'}");
        assertThat(message("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'ProjectionExpression':'"
                + path32 + "[0]'}"))
                .isEqualTo("Invalid ProjectionExpression: The document path has too many nesting levels; "
                        + "nesting levels: 33");
    }

    @Test
    void aListIndexBeyond4294967294IsAValidationErrorNotA500() {
        assertThat(message("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'ProjectionExpression':'l[99999999999]'}"))
                .isEqualTo("Invalid ProjectionExpression: List index is not within the allowable range; "
                        + "index: [99999999999]");
        assertThat(message("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'UpdateExpression':'SET l[4294967295] = :v','ExpressionAttributeValues':{':v':{'S':'b'}}}"))
                .isEqualTo("Invalid UpdateExpression: List index is not within the allowable range; "
                        + "index: [4294967295]");
        assertThat(message("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'ProjectionExpression':'l[1x]'}")).startsWith("Invalid ProjectionExpression: Syntax error;");

        // The largest index DynamoDB takes: past the end, so a read finds nothing and a write appends.
        assertThat(ddb.ok("GetItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'ProjectionExpression':'l[4294967294]'}").get("Item")).isEqualTo(Map.of());
        ddb.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'UpdateExpression':'SET l[4294967294] = :v','ExpressionAttributeValues':{':v':{'S':'b'}}}");
        assertThat(DynamoTesting.list(DynamoTesting.map(ddb.getLease("k").get("l")).get("L"))).hasSize(2);
    }

    @Test
    void numbersKeepDynamoDbsRangeSoArithmeticStaysCheap() {
        assertThat(message("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'n'},'n':{'N':'1E999999999'}}}"))
                .isEqualTo("Number overflow. Attempting to store a number with magnitude larger than supported range");
        assertThat(message("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'n'},'n':{'N':'1E-131'}}}"))
                .isEqualTo("Number underflow. Attempting to store a number with magnitude smaller than supported "
                        + "range");
        assertThat(message("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'n'},'n':{'N':'"
                + "1".repeat(39) + "'}}}")).isEqualTo("Attempting to store more than 38 significant digits in a Number");
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'n'},'n':{'N':'9.9E125'},'s':{'N':'1E-130'}}}");
        // A sum past the range is refused, as DynamoDB refuses it, instead of computed.
        assertThat(message("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'n'}},'UpdateExpression':"
                + "'SET n = n + :big','ExpressionAttributeValues':{':big':{'N':'9.9E125'}}}"))
                .startsWith("Number overflow.");
    }

    @Test
    void anUpdateCannotGrowAnItemPast400KB() {
        String chunk = "x".repeat(50_000);
        ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'big'},'l':{'L':[{'S':'" + chunk + "'}]}}}");
        String doubling = "{'TableName':'app','Key':{'leaseKey':{'S':'big'}},'UpdateExpression':"
                + "'SET l = list_append(l, l)'}";
        for (int i = 0; i < 3; i++) {
            ddb.ok("UpdateItem", doubling); // 100 KB, 200 KB, 400 KB - 8 elements are 400,000 bytes and a few
        }
        assertThat(message("UpdateItem", doubling))
                .isEqualTo("Item size to update has exceeded the maximum allowed size");
        assertThat(DynamoTesting.list(DynamoTesting.map(ddb.getLease("big").get("l")).get("L"))).hasSize(8);
    }

    @Test
    void settingAnAttributeFromAMissingPathIsAValidationError() {
        // Found by the fuzz test: it stored a null in the item, and the next read of it was a 500.
        assertThat(message("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},"
                + "'UpdateExpression':'SET n = l.c'}"))
                .isEqualTo("The provided expression refers to an attribute that does not exist in the item");
        assertThat(ddb.getLease("k")).doesNotContainKey("n");
    }

    @Test
    void anIntegerParameterBeyondTheIntRangeIsSaturatedNotA500() {
        assertThat(DynamoTesting.list(ddb.ok("Scan", "{'TableName':'app','Limit':99999999999}").get("Items")))
                .hasSize(1);
        assertThat(message("Scan", "{'TableName':'app','Limit':-99999999999}"))
                .contains("Value '-2147483648' at 'limit' failed to satisfy constraint");
    }

    /** A store whose every call fails with an Error, as a stack overflow or an exhausted heap would. */
    private static final class FailingStore implements MetadataStore {
        @Override
        public Optional<byte[]> get(String key) {
            throw new StackOverflowError();
        }

        @Override
        public SortedMap<String, byte[]> scan(String prefix) {
            return new TreeMap<>();
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            throw new OutOfMemoryError("Java heap space");
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            throw new OutOfMemoryError("Java heap space");
        }

        @Override
        public dev.millrace.storage.Registration onCommit(dev.millrace.storage.MetadataListener listener) {
            return () -> { };
        }

        @Override
        public long version() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void anErrorInAHandlerIsAnInternalServerError() {
        DynamoTesting failing = new DynamoTesting(new DynamoApi(new FailingStore(), new ManualClock(0)));
        DynamoApi.Result r = failing.raw("CreateTable", DynamoTesting.LEASE_TABLE);
        assertThat(r.httpStatus()).isEqualTo(500);
        assertThat(r.errorType()).isEqualTo("InternalServerError");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("#InternalServerError");
    }
}
