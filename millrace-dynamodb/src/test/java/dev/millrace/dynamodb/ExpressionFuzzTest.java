package dev.millrace.dynamodb;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's fuzz test for the DynamoDB expression grammar, in-process: condition, filter, key-condition, update and
 * projection expressions generated from the grammar with random nesting (up to thousands of parentheses), paths
 * (deep, with placeholders defined or not, indexes small, huge and malformed), operators, functions and IN lists,
 * plus random character mutations of them, sent through PutItem, UpdateItem, DeleteItem, GetItem, Query and Scan.
 * Every answer must be a 200 or a 400 with an error type - never a 500, never a throwable out of the API, never a
 * case that takes long - and a normal call must still work afterwards. Each case runs on a thread with a small
 * stack, so that unbounded recursion shows as a failure here rather than on a server's worker.
 *
 * <p>{@code -Dmillrace.fuzz.cases=N} (default 1,500) and {@code -Dmillrace.fuzz.seed=S} ({@code random}) as in the
 * Kinesis fuzz test.
 */
class ExpressionFuzzTest {
    private static final long MAX_CASE_MS = 10_000;
    private static final String NAMES = "'ExpressionAttributeNames':{'#k':'leaseKey','#l':'l','#m':'m','#n':'n'}";
    private static final String VALUES = "'ExpressionAttributeValues':{':s':{'S':'k'},':n':{'N':'1'},"
            + "':l':{'L':[{'S':'a'}]},':ss':{'SS':['a','b']},':t':{'S':'N'},':big':{'N':'9.9E125'}}";

    @TempDir
    Path dir;

    @Test
    void noExpressionGetsA500OrEscapesOrHangs() throws InterruptedException {
        String seedProperty = System.getProperty("millrace.fuzz.seed", "20261205");
        long seed = seedProperty.equals("random") ? System.nanoTime() : Long.parseLong(seedProperty);
        int cases = Integer.getInteger("millrace.fuzz.cases", 1_500);
        Random random = new Random(seed);
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            DynamoTesting ddb = new DynamoTesting(new DynamoApi(store, new ManualClock(1_700_000_000_000L)));
            ddb.ok("CreateTable", DynamoTesting.LEASE_TABLE);
            ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'k'},'l':{'L':[{'S':'a'},{'N':'2'}]},"
                    + "'m':{'M':{'a':{'M':{'b':{'S':'c'}}}}},'n':{'N':'5'}}}");
            Grammar g = new Grammar(random);
            for (int i = 0; i < cases; i++) {
                String body = g.request();
                check(ddb, g.operation, body, seed);
            }
            ddb.ok("PutItem", "{'TableName':'app','Item':{'leaseKey':{'S':'after'}},"
                    + "'ConditionExpression':'attribute_not_exists(leaseKey)'}");
            assertThat(DynamoTesting.attr(ddb.getLease("after"), "leaseKey")).isEqualTo("after");
        }
    }

    private static void check(DynamoTesting ddb, String operation, String body, long seed)
            throws InterruptedException {
        DynamoApi.Result[] result = new DynamoApi.Result[1];
        Throwable[] escaped = new Throwable[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = ddb.raw(operation, body);
            } catch (Throwable e) {
                escaped[0] = e;
            }
        }, "fuzz", 512 * 1024);
        long startNs = System.nanoTime();
        t.start();
        t.join(MAX_CASE_MS);
        String what = "seed " + seed + ", " + operation + " " + body;
        assertThat(t.isAlive()).as("hangs: " + what).isFalse();
        assertThat(escaped[0]).as(what).isNull();
        DynamoApi.Result r = result[0];
        assertThat(r.httpStatus()).as(what + " -> " + new String(r.body(), StandardCharsets.UTF_8)).isIn(200, 400);
        if (r.httpStatus() == 400) {
            assertThat(r.errorType()).as(what).isNotBlank();
        }
        assertThat((System.nanoTime() - startNs) / 1_000_000).as(what).isLessThan(MAX_CASE_MS);
    }

    /** Random requests carrying random expressions; JSON with single quotes, as DynamoTesting takes them. */
    static final class Grammar {
        private final Random random;
        String operation;

        Grammar(Random random) {
            this.random = random;
        }

        String request() {
            String key = "'Key':{'leaseKey':{'S':'" + pick("k", "k", "other") + "'}}";
            String common = NAMES + "," + VALUES;
            switch (random.nextInt(6)) {
                case 0:
                    operation = "PutItem";
                    return "{'TableName':'app','Item':{'leaseKey':{'S':'k'},'n':{'N':'1'}},'ConditionExpression':'"
                            + expression(condition(0)) + "'," + common + "}";
                case 1:
                    operation = "UpdateItem";
                    return "{'TableName':'app'," + key + ",'UpdateExpression':'" + expression(update()) + "'"
                            + (random.nextBoolean() ? ",'ConditionExpression':'" + expression(condition(0)) + "'" : "")
                            + "," + common + "}";
                case 2:
                    operation = "DeleteItem";
                    return "{'TableName':'app','Key':{'leaseKey':{'S':'gone'}},'ConditionExpression':'"
                            + expression(condition(0)) + "'," + common + "}";
                case 3:
                    operation = "GetItem";
                    return "{'TableName':'app'," + key + ",'ProjectionExpression':'" + expression(projection())
                            + "'," + NAMES + "}";
                case 4:
                    operation = "Query";
                    return "{'TableName':'app','KeyConditionExpression':'" + expression(random.nextBoolean()
                            ? "leaseKey = :s" : condition(0)) + "','FilterExpression':'" + expression(condition(0))
                            + "'," + common + "}";
                default:
                    operation = "Scan";
                    return "{'TableName':'app','FilterExpression':'" + expression(condition(0))
                            + "','ProjectionExpression':'" + expression(projection()) + "'," + common + "}";
            }
        }

        /** Sometimes mutated: a few characters replaced, inserted or removed. */
        private String expression(String e) {
            String out = e;
            if (random.nextInt(4) == 0) {
                StringBuilder b = new StringBuilder(out);
                for (int i = 1 + random.nextInt(3); i > 0; i--) {
                    int at = b.length() == 0 ? 0 : random.nextInt(b.length());
                    switch (random.nextInt(3)) {
                        case 0 -> b.insert(at, "()[].,:#=<>+- 9aZ".charAt(random.nextInt(17)));
                        case 1 -> {
                            if (b.length() > 0) {
                                b.deleteCharAt(at);
                            }
                        }
                        default -> b.setLength(at);
                    }
                }
                out = b.toString();
            }
            // The body is JSON with single quotes turned into double ones: keep the expression free of both.
            return out.replace('\'', ' ').replace('"', ' ').replace('\\', ' ');
        }

        String condition(int depth) {
            if (random.nextInt(200) == 0) {
                int n = random.nextInt(3_000);
                return "(".repeat(n) + condition(depth + 1) + ")".repeat(random.nextInt(5) == 0 ? n - 1 : n);
            }
            if (random.nextInt(200) == 0) {
                return "NOT ".repeat(random.nextInt(1_000)) + comparison();
            }
            int r = depth > 6 ? 9 : random.nextInt(12);
            switch (r) {
                case 0, 1:
                    return condition(depth + 1) + pick(" AND ", " OR ", " and ") + condition(depth + 1);
                case 2:
                    return "NOT " + condition(depth + 1);
                case 3:
                    return "(" + condition(depth + 1) + ")";
                case 4:
                    return operand() + " BETWEEN " + operand() + " AND " + operand();
                case 5: {
                    StringBuilder in = new StringBuilder(operand()).append(" IN (");
                    int n = 1 + (random.nextInt(10) == 0 ? random.nextInt(120) : random.nextInt(4));
                    for (int i = 0; i < n; i++) {
                        in.append(i == 0 ? "" : ", ").append(operand());
                    }
                    return in.append(')').toString();
                }
                case 6, 7:
                    return pick("attribute_exists", "attribute_not_exists", "begins_with", "contains",
                            "attribute_type", "size", "no_such_function", "if_not_exists") + "(" + path()
                            + (random.nextBoolean() ? ", " + operand() : "") + ")";
                default:
                    return comparison();
            }
        }

        private String comparison() {
            return operand() + " " + pick("=", "<>", "<", "<=", ">", ">=", "==", "!") + " " + operand();
        }

        private String operand() {
            return switch (random.nextInt(5)) {
                case 0 -> pick(":s", ":n", ":l", ":ss", ":t", ":big", ":undefined");
                case 1 -> "size(" + path() + ")";
                default -> path();
            };
        }

        String path() {
            StringBuilder p = new StringBuilder(pick("leaseKey", "l", "m", "n", "#k", "#l", "#m", "#n", "#undefined",
                    "missing", "a_b", "1x"));
            int levels = random.nextInt(20) == 0 ? random.nextInt(60) : random.nextInt(4);
            for (int i = 0; i < levels; i++) {
                p.append(random.nextBoolean() ? "." + pick("a", "b", "#m", "c")
                        : "[" + pick("0", "1", "7", "4294967294", "4294967295", "99999999999",
                                "9".repeat(40), "01", "1x", "-1", "") + "]");
            }
            return p.toString();
        }

        String update() {
            StringBuilder u = new StringBuilder();
            int clauses = 1 + random.nextInt(3);
            for (int c = 0; c < clauses; c++) {
                String clause = pick("SET", "REMOVE", "ADD", "DELETE", "set", "MERGE");
                u.append(c == 0 ? "" : " ").append(clause).append(' ');
                int actions = 1 + (random.nextInt(20) == 0 ? random.nextInt(400) : random.nextInt(3));
                for (int a = 0; a < actions; a++) {
                    u.append(a == 0 ? "" : ", ").append(path());
                    switch (clause) {
                        case "SET", "set" -> u.append(" = ").append(setValue(0));
                        case "ADD", "DELETE" -> u.append(' ').append(pick(":n", ":ss", ":s", ":big"));
                        default -> { }
                    }
                }
            }
            return u.toString();
        }

        private String setValue(int depth) {
            int r = depth > 5 ? 4 : random.nextInt(8);
            return switch (r) {
                case 0 -> "if_not_exists(" + path() + ", " + setValue(depth + 1) + ")";
                case 1 -> "list_append(" + setValue(depth + 1) + ", " + setValue(depth + 1) + ")";
                case 2 -> setValue(depth + 1) + pick(" + ", " - ") + setValue(depth + 1);
                default -> operand();
            };
        }

        String projection() {
            StringBuilder p = new StringBuilder(path());
            int n = random.nextInt(10) == 0 ? random.nextInt(200) : random.nextInt(3);
            for (int i = 0; i < n; i++) {
                p.append(", ").append(path());
            }
            return p.toString();
        }

        @SafeVarargs
        private <T> T pick(T... options) {
            return options[random.nextInt(options.length)];
        }
    }
}
