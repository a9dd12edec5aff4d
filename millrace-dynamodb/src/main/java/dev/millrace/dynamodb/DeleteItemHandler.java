package dev.millrace.dynamodb;

/**
 * DeleteItem: removes one item, if the condition holds; deleting an absent item succeeds.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
 *
 * <p>Thread-safe: the table's lock makes the check and the write one step.
 */
final class DeleteItemHandler implements OperationHandler {
    private final Services services;

    DeleteItemHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = services.tables().require(r.tableName("TableName"));
        String returnValues = ItemWrites.returnValues(r, false);
        ItemWrites.Planned planned;
        t.lockLive();
        try {
            planned = ItemWrites.delete(t, r, true);
            if (planned.write() != null) {
                services.tables().commit(java.util.List.of(planned.write()));
            }
        } finally {
            t.lock.unlock();
        }
        return DynamoJson.object(g -> ItemWrites.writeAttributes(g, returnValues, planned));
    }
}
