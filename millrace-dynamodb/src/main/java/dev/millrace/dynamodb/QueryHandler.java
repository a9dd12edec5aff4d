package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Query: the items of one hash key of a table or global secondary index, in sort-key order (reversed with
 * ScanIndexForward false), selected by KeyConditionExpression or legacy KeyConditions. KCL lists a worker's leases
 * with {@code IndexName: LeaseOwnerToLeaseKeyIndex, KeyConditionExpression: "leaseOwner = :leaseOwner"}.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
 *
 * <p>Thread-safe: reads under the table's lock.
 */
final class QueryHandler implements OperationHandler {
    private final Services services;

    QueryHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = services.tables().require(r.tableName("TableName"));
        t.lockLive();
        try {
            TableDefinition.IndexDefinition index = ItemReads.index(t, r);
            KeySchema ks = index == null ? t.definition().key() : index.key();
            List<DocumentPath> paths = new ArrayList<>();
            Map<String, AttributeValue> equalities = new LinkedHashMap<>();
            Condition keyCondition = keyCondition(r, paths, equalities);
            for (DocumentPath p : paths) {
                if (!p.isTopLevel() || !ks.isKeyAttribute(p.topLevel())) {
                    throw DynamoException.validation("Query condition missed key schema element: " + ks.hashName());
                }
            }
            AttributeValue hash = equalities.get(ks.hashName());
            if (hash == null) {
                throw DynamoException.validation("Query condition missed key schema element: " + ks.hashName());
            }
            Condition filter = ItemReads.filter(r, "QueryFilter");
            List<ItemReads.Entry> entries = ItemReads.entries(t, index,
                    e -> hash.equals(e.item().get(ks.hashName())) && keyCondition.test(e.item()));
            if (!r.bool("ScanIndexForward", true)) {
                Collections.reverse(entries);
            }
            return ItemReads.page(t, index, r, entries, filter);
        } finally {
            t.lock.unlock();
        }
    }

    private static Condition keyCondition(Request r, List<DocumentPath> paths, Map<String, AttributeValue> eq) {
        String expression = r.string("KeyConditionExpression");
        Map<String, Object> legacy = r.map("KeyConditions");
        if (expression != null && legacy != null) {
            throw ItemWrites.mixed("{KeyConditions}", "{KeyConditionExpression}");
        }
        if (legacy != null) {
            return LegacyParameters.keyConditions(legacy, paths, eq);
        }
        if (expression == null) {
            throw DynamoException.validation("Either the KeyConditions or KeyConditionExpression parameter must be "
                    + "specified in the request.");
        }
        Condition c = ExpressionParser.condition("KeyConditionExpression", expression, r.expressionContext());
        c.paths(paths);
        equalities(c, eq);
        return c;
    }

    /** Collects {@code name = :value} terms of the top-level AND chain: the hash key must be one of them. */
    private static void equalities(Condition c, Map<String, AttributeValue> out) {
        if (c instanceof Condition.And) {
            equalities(((Condition.And) c).left(), out);
            equalities(((Condition.And) c).right(), out);
        } else if (c instanceof Condition.Compare) {
            Condition.Compare cmp = (Condition.Compare) c;
            if (cmp.op().equals("=") && cmp.left() instanceof Operand.Path && cmp.right() instanceof Operand.Value) {
                out.put(((Operand.Path) cmp.left()).path().topLevel(), ((Operand.Value) cmp.right()).value());
            } else if (cmp.op().equals("=") && cmp.right() instanceof Operand.Path
                    && cmp.left() instanceof Operand.Value) {
                out.put(((Operand.Path) cmp.right()).path().topLevel(), ((Operand.Value) cmp.left()).value());
            }
        } else if (!(c instanceof Condition.Between) && !(c instanceof Condition.Function)) {
            throw DynamoException.validation("Invalid operator used in KeyConditionExpression");
        }
    }
}
