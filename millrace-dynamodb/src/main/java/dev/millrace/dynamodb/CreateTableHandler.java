package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * CreateTable: the table (and its global secondary indexes) is ACTIVE at once; the response still says CREATING,
 * as DynamoDB's does, and DescribeTable says ACTIVE. Billing mode and capacities are recorded, never enforced; tags,
 * stream and SSE specifications are accepted and ignored.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html
 *
 * <p>Thread-safe.
 */
final class CreateTableHandler implements OperationHandler {
    private final Services services;

    CreateTableHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        String name = r.tableName("TableName");
        Map<String, String> definitions = TableDefinition.readDefinitions(r);
        KeySchema key = KeySchema.read(r, "KeySchema", definitions);
        List<TableDefinition.IndexDefinition> indexes = new ArrayList<>();
        Set<String> used = new HashSet<>(List.of(key.hashName()));
        if (key.hasRange()) {
            used.add(key.rangeName());
        }
        for (Request gsi : r.structs("GlobalSecondaryIndexes")) {
            TableDefinition.IndexDefinition index = TableDefinition.IndexDefinition.read(gsi, definitions);
            for (TableDefinition.IndexDefinition other : indexes) {
                if (other.name().equals(index.name())) {
                    throw DynamoException.validation("One or more parameter values were invalid: Duplicate index "
                            + "name: " + index.name());
                }
            }
            indexes.add(index);
            used.add(index.key().hashName());
            if (index.key().hasRange()) {
                used.add(index.key().rangeName());
            }
        }
        if (!used.containsAll(definitions.keySet())) {
            throw DynamoException.validation("One or more parameter values were invalid: Number of attributes in "
                    + "KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
        }
        String billing = r.string("BillingMode") == null ? "PROVISIONED" : r.string("BillingMode");
        Request throughput = r.struct("ProvisionedThroughput");
        if (billing.equals("PROVISIONED") && throughput == null) {
            throw DynamoException.validation("One or more parameter values were invalid: ReadCapacityUnits and "
                    + "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        }
        TableDefinition d = new TableDefinition(name, key, definitions, indexes, billing,
                TableDefinition.capacity(throughput, "ReadCapacityUnits"),
                TableDefinition.capacity(throughput, "WriteCapacityUnits"), services.clock().millis(),
                UUID.randomUUID().toString(), r.bool("DeletionProtectionEnabled", false), false);
        Table t = services.tables().create(d);
        t.lockLive();
        try {
            return DynamoJson.object(g -> TableDescriptions.write(g, "TableDescription", services, t, "CREATING"));
        } finally {
            t.lock.unlock();
        }
    }
}
