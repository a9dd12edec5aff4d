package dev.millrace.dynamodb;

import java.util.Map;

/**
 * GetItem: one item by its full primary key, projected by ProjectionExpression or AttributesToGet. Every read is
 * strongly consistent here, so ConsistentRead is accepted and needs nothing.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
 *
 * <p>Thread-safe: reads under the table's lock.
 */
final class GetItemHandler implements OperationHandler {
    private final Services services;

    GetItemHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = services.tables().require(r.tableName("TableName"));
        Projection projection = Projection.of(r);
        Map<String, AttributeValue> item;
        t.lockLive();
        try {
            item = t.get(t.keyOfKey(r.requiredItem("Key")));
        } finally {
            t.lock.unlock();
        }
        return DynamoJson.object(g -> {
            if (item != null) {
                DynamoJson.writeItemField(g, "Item", projection.apply(item));
            }
        });
    }
}
