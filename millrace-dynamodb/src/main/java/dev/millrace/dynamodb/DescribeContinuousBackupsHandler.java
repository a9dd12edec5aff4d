package dev.millrace.dynamodb;

/**
 * DescribeContinuousBackups: reports the stored point-in-time recovery setting.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeContinuousBackups.html
 *
 * <p>Thread-safe.
 */
final class DescribeContinuousBackupsHandler implements OperationHandler {
    private final Services services;

    DescribeContinuousBackupsHandler(Services services) {
        this.services = services;
    }

    private Table tables(Request r) {
        Table t = services.tables().find(r.tableName("TableName"));
        if (t == null) {
            throw DynamoException.client("TableNotFoundException", "Table not found: " + r.string("TableName"));
        }
        return t;
    }

    @Override
    public byte[] handle(Request r) {
        return TableDescriptions.continuousBackups(services, tables(r).definition());
    }
}
