package dev.millrace.dynamodb;

/**
 * UpdateItem: changes (or creates) one item with an UpdateExpression or legacy AttributeUpdates (PUT, ADD,
 * DELETE), if the condition holds. KCL renews, takes and checkpoints leases this way, with Expected on leaseCounter
 * and leaseOwner.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
 *
 * <p>Thread-safe: the table's lock makes the check and the write one step.
 */
final class UpdateItemHandler implements OperationHandler {
    private final Services services;

    UpdateItemHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = services.tables().require(r.tableName("TableName"));
        String returnValues = ItemWrites.returnValues(r, true);
        ItemWrites.Planned planned;
        t.lockLive();
        try {
            planned = ItemWrites.update(t, r, true);
            if (planned.write() != null) {
                services.tables().commit(java.util.List.of(planned.write()));
            }
        } finally {
            t.lock.unlock();
        }
        return DynamoJson.object(g -> ItemWrites.writeAttributes(g, returnValues, planned));
    }
}
