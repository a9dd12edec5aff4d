package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BatchWriteItem: up to 25 unconditional puts and deletes over one or more tables. They are committed together (more
 * than DynamoDB promises, which is harmless); UnprocessedItems is always empty.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 *
 * <p>Thread-safe: the tables are locked in name order for the commit.
 */
final class BatchWriteItemHandler implements OperationHandler {
    private final Services services;

    BatchWriteItemHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Map<String, Object> requestItems = r.map("RequestItems");
        if (requestItems == null || requestItems.isEmpty()) {
            throw Request.missing("RequestItems");
        }
        Request byTable = new Request(requestItems);
        List<Table> tables = new ArrayList<>();
        int count = 0;
        for (String name : requestItems.keySet()) {
            tables.add(services.tables().require(name));
            count += byTable.list(name).size();
        }
        if (count > 25) {
            throw DynamoException.validation("1 validation error detected: Value at 'requestItems' failed to satisfy "
                    + "constraint: Map value must satisfy constraint: [Member must have length less than or equal "
                    + "to 25, Member must have length greater than or equal to 1]");
        }
        List<Table> locked = Tables.lockAll(tables);
        try {
            List<Tables.Write> writes = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (Table t : tables) {
                for (Request w : byTable.structs(t.name())) {
                    writes.add(write(t, w));
                    if (!seen.add(t.name() + "/" + writes.get(writes.size() - 1).key().encode())) {
                        throw DynamoException.validation("Provided list of item keys contains duplicates");
                    }
                }
            }
            services.tables().commit(writes);
        } finally {
            Tables.unlockAll(locked);
        }
        return DynamoJson.object(g -> {
            g.writeObjectFieldStart("UnprocessedItems");
            g.writeEndObject();
        });
    }

    private static Tables.Write write(Table t, Request w) {
        Request put = w.struct("PutRequest");
        Request delete = w.struct("DeleteRequest");
        if ((put == null) == (delete == null)) {
            throw DynamoException.validation("Supplied AttributeValue has more than one datatypes set, must contain "
                    + "exactly one of the supported datatypes");
        }
        if (put != null) {
            Map<String, AttributeValue> item = put.requiredItem("Item");
            return new Tables.Write(t, t.keyOfItem(item), item);
        }
        return new Tables.Write(t, t.keyOfKey(delete.requiredItem("Key")), null);
    }
}
