package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * UpdateTable: adds or deletes global secondary indexes (KCL adds LeaseOwnerToLeaseKeyIndex this way), changes the
 * billing mode or deletion protection. New indexes are ACTIVE at once: they are computed at read time.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
 *
 * <p>Thread-safe: under the table's lock.
 */
final class UpdateTableHandler implements OperationHandler {
    private final Services services;

    UpdateTableHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = DescribeTableHandler.require(services, r.tableName("TableName"));
        t.lockLive();
        try {
            TableDefinition d = t.definition();
            Map<String, String> definitions = new LinkedHashMap<>(d.attributeDefinitions());
            for (Map.Entry<String, String> e : TableDefinition.readDefinitions(r).entrySet()) {
                String old = definitions.putIfAbsent(e.getKey(), e.getValue());
                if (old != null && !old.equals(e.getValue())) {
                    throw DynamoException.validation("Cannot change the type of attribute " + e.getKey());
                }
            }
            List<TableDefinition.IndexDefinition> indexes = new ArrayList<>(d.indexes());
            for (Request u : r.structs("GlobalSecondaryIndexUpdates")) {
                apply(u, definitions, indexes);
            }
            TableDefinition updated = d.withIndexes(definitions, indexes);
            if (r.string("BillingMode") != null) {
                Request throughput = r.struct("ProvisionedThroughput");
                updated = updated.withBilling(r.string("BillingMode"),
                        TableDefinition.capacity(throughput, "ReadCapacityUnits"),
                        TableDefinition.capacity(throughput, "WriteCapacityUnits"));
            }
            if (r.bool("DeletionProtectionEnabled") != null) {
                updated = updated.withDeletionProtection(r.bool("DeletionProtectionEnabled"));
            }
            services.tables().saveDefinition(t, updated);
            return DynamoJson.object(g -> TableDescriptions.write(g, "TableDescription", services, t, "ACTIVE"));
        } finally {
            t.lock.unlock();
        }
    }

    private static void apply(Request u, Map<String, String> definitions,
                              List<TableDefinition.IndexDefinition> indexes) {
        Request create = u.struct("Create");
        Request delete = u.struct("Delete");
        if (create != null) {
            TableDefinition.IndexDefinition index = TableDefinition.IndexDefinition.read(create, definitions);
            if (indexes.stream().anyMatch(i -> i.name().equals(index.name()))) {
                throw DynamoException.validation("One or more parameter values were invalid: Index with name: "
                        + index.name() + " already exists");
            }
            indexes.add(index);
        } else if (delete != null) {
            String name = delete.requiredString("IndexName");
            if (!indexes.removeIf(i -> i.name().equals(name))) {
                throw DynamoException.resourceNotFound("Requested resource not found: Index: " + name
                        + " not found");
            }
        } else if (u.struct("Update") == null) {
            throw DynamoException.validation("One or more parameter values were invalid: One of Create, Update or "
                    + "Delete must be specified");
        }
    }
}
