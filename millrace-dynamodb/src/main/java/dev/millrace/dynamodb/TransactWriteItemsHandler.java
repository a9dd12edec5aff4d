package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * TransactWriteItems: up to 100 Put, Update, Delete and ConditionCheck entries, all or nothing. Every entry is
 * planned (its condition tested) with all the tables involved locked; if any condition fails nothing is written and
 * the call fails with TransactionCanceledException, one CancellationReason per entry ("None" for the others).
 * Otherwise all writes go to the metadata store in one commit. KCL uses it to move coordinator state between
 * tables. ClientRequestToken idempotency is not implemented (the token is accepted and ignored).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 *
 * <p>Thread-safe: the tables are locked in name order.
 */
final class TransactWriteItemsHandler implements OperationHandler {
    private static final Set<String> KINDS = Set.of("Put", "Update", "Delete", "ConditionCheck");

    private final Services services;

    TransactWriteItemsHandler(Services services) {
        this.services = services;
    }

    private record Entry(String kind, Request request, Table table) {
    }

    @Override
    public byte[] handle(Request r) {
        List<Request> items = r.structs("TransactItems");
        if (items.isEmpty() || items.size() > 100) {
            throw DynamoException.validation("1 validation error detected: Value at 'transactItems' failed to "
                    + "satisfy constraint: Member must have length less than or equal to 100, Member must have "
                    + "length greater than or equal to 1");
        }
        List<Entry> entries = new ArrayList<>();
        List<Table> tables = new ArrayList<>();
        for (Request item : items) {
            Entry e = entry(item);
            entries.add(e);
            tables.add(e.table());
        }
        List<Table> locked = Tables.lockAll(tables);
        try {
            List<Tables.Write> writes = new ArrayList<>();
            List<DynamoException.CancellationReason> reasons = new ArrayList<>();
            boolean failed = false;
            Set<String> keys = new HashSet<>();
            for (Entry e : entries) {
                try {
                    ItemWrites.Planned p = plan(e);
                    String id = e.table().name() + "/" + (p.write() != null ? p.write().key().encode()
                            : e.table().keyOfKey(e.request().requiredItem("Key")).encode());
                    if (!keys.add(id)) {
                        throw DynamoException.validation("Transaction request cannot include multiple operations on "
                                + "one item");
                    }
                    if (p.write() != null) {
                        writes.add(p.write());
                    }
                    reasons.add(new DynamoException.CancellationReason("None", null, null));
                } catch (DynamoException ex) {
                    if (!ex.errorType().equals("ConditionalCheckFailedException")) {
                        throw ex;
                    }
                    failed = true;
                    reasons.add(new DynamoException.CancellationReason("ConditionalCheckFailed", ex.getMessage(),
                            ex.item()));
                }
            }
            if (failed) {
                throw DynamoException.transactionCanceled(reasons);
            }
            services.tables().commit(writes);
        } finally {
            Tables.unlockAll(locked);
        }
        return DynamoJson.object(g -> { });
    }

    private Entry entry(Request item) {
        Entry found = null;
        for (String kind : KINDS) {
            Request op = item.struct(kind);
            if (op != null) {
                if (found != null) {
                    throw DynamoException.validation("TransactItems can only contain one of Check, Put, Update or "
                            + "Delete");
                }
                found = new Entry(kind, op, services.tables().require(op.tableName("TableName")));
            }
        }
        if (found == null) {
            throw DynamoException.validation("TransactItems can only contain one of Check, Put, Update or Delete");
        }
        return found;
    }

    private static ItemWrites.Planned plan(Entry e) {
        switch (e.kind()) {
            case "Put": return ItemWrites.put(e.table(), e.request(), false);
            case "Update": return ItemWrites.update(e.table(), e.request(), false);
            case "Delete": return ItemWrites.delete(e.table(), e.request(), false);
            default: return ItemWrites.conditionCheck(e.table(), e.request());
        }
    }
}
