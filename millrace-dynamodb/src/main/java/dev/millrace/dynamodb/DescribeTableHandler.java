package dev.millrace.dynamodb;

/**
 * DescribeTable: always ACTIVE, with the live ItemCount. A missing table is ResourceNotFoundException with
 * DynamoDB's "Requested resource not found: Table: X not found".
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html
 *
 * <p>Thread-safe.
 */
final class DescribeTableHandler implements OperationHandler {
    private final Services services;

    DescribeTableHandler(Services services) {
        this.services = services;
    }

    static Table require(Services services, String name) {
        Table t = services.tables().find(name);
        if (t == null) {
            throw DynamoException.resourceNotFound("Requested resource not found: Table: " + name + " not found");
        }
        return t;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = require(services, r.tableName("TableName"));
        t.lockLive();
        try {
            return DynamoJson.object(g -> TableDescriptions.write(g, "Table", services, t, "ACTIVE"));
        } finally {
            t.lock.unlock();
        }
    }
}
