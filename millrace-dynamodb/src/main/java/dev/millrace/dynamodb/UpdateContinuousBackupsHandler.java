package dev.millrace.dynamodb;

/**
 * UpdateContinuousBackups: records whether point-in-time recovery is on (KCL turns it on for its tables when
 * configured). Nothing is backed up: the setting is stored and reported, so clients that check it are satisfied.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html
 *
 * <p>Thread-safe.
 */
final class UpdateContinuousBackupsHandler implements OperationHandler {
    private final Services services;

    UpdateContinuousBackupsHandler(Services services) {
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
        Table t = tables(r);
        t.lockLive();
        try {
            Request spec = r.struct("PointInTimeRecoverySpecification");
            if (spec == null || spec.bool("PointInTimeRecoveryEnabled") == null) {
                throw Request.missing("PointInTimeRecoverySpecification");
            }
            services.tables().saveDefinition(t,
                    t.definition().withPointInTimeRecovery(spec.bool("PointInTimeRecoveryEnabled")));
            return TableDescriptions.continuousBackups(services, t.definition());
        } finally {
            t.lock.unlock();
        }
    }
}
