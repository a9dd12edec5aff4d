package dev.millrace.dynamodb;

/**
 * PutItem: writes a whole item, replacing any with its key, if the condition (ConditionExpression or legacy
 * Expected) holds. KCL creates leases with {@code Expected: {leaseKey: {Exists: false}}}.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
 *
 * <p>Thread-safe: the table's lock makes the check and the write one step.
 */
final class PutItemHandler implements OperationHandler {
    private final Services services;

    PutItemHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = services.tables().require(r.tableName("TableName"));
        String returnValues = ItemWrites.returnValues(r, false);
        ItemWrites.Planned planned;
        t.lockLive();
        try {
            planned = ItemWrites.put(t, r, true);
            if (planned.write() != null) {
                services.tables().commit(java.util.List.of(planned.write()));
            }
        } finally {
            t.lock.unlock();
        }
        return DynamoJson.object(g -> ItemWrites.writeAttributes(g, returnValues, planned));
    }
}
