package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BatchGetItem: up to 100 items from one or more tables. Everything is always processed, so UnprocessedKeys is
 * always empty.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 *
 * <p>Thread-safe: each table is read under its lock.
 */
final class BatchGetItemHandler implements OperationHandler {
    private final Services services;

    BatchGetItemHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Map<String, Object> requestItems = r.map("RequestItems");
        if (requestItems == null || requestItems.isEmpty()) {
            throw Request.missing("RequestItems");
        }
        Map<String, List<Map<String, AttributeValue>>> responses = new LinkedHashMap<>();
        int total = 0;
        for (String tableName : requestItems.keySet()) {
            Request tr = new Request(r.map("RequestItems")).struct(tableName);
            Table t = services.tables().require(tableName);
            Projection projection = Projection.of(tr);
            List<Map<String, AttributeValue>> found = new ArrayList<>();
            List<Object> keys = tr.list("Keys");
            total += keys.size();
            if (total > 100) {
                throw DynamoException.validation("Too many items requested for the BatchGetItem call");
            }
            t.lockLive();
            try {
                for (Object k : keys) {
                    Map<String, AttributeValue> item = t.get(t.keyOfKey(DynamoJson.item(k)));
                    if (item != null) {
                        found.add(projection.apply(item));
                    }
                }
            } finally {
                t.lock.unlock();
            }
            responses.put(tableName, found);
        }
        return DynamoJson.object(g -> {
            g.writeObjectFieldStart("Responses");
            for (Map.Entry<String, List<Map<String, AttributeValue>>> e : responses.entrySet()) {
                g.writeArrayFieldStart(e.getKey());
                for (Map<String, AttributeValue> item : e.getValue()) {
                    DynamoJson.writeItem(g, item);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeObjectFieldStart("UnprocessedKeys");
            g.writeEndObject();
        });
    }
}
