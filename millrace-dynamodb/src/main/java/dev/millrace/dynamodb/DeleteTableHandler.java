package dev.millrace.dynamodb;

/**
 * DeleteTable: drops the table and its items in one metadata commit. Refused while DeletionProtectionEnabled.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html
 *
 * <p>Thread-safe.
 */
final class DeleteTableHandler implements OperationHandler {
    private final Services services;

    DeleteTableHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = DescribeTableHandler.require(services, r.tableName("TableName"));
        t.lockLive();
        try {
            if (t.definition().deletionProtection()) {
                throw DynamoException.validation("Resource cannot be deleted as it is currently protected against "
                        + "deletion. Disable deletion protection first.");
            }
            byte[] body = DynamoJson.object(g -> TableDescriptions.write(g, "TableDescription", services, t,
                    "DELETING"));
            services.tables().delete(t);
            return body;
        } finally {
            t.lock.unlock();
        }
    }
}
