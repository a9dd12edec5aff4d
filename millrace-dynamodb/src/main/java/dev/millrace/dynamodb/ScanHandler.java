package dev.millrace.dynamodb;

import java.util.List;

/**
 * Scan: every item of a table or global secondary index in key order, paged, optionally filtered, optionally one
 * segment of a parallel scan. An item belongs to segment {@code hash(its hash key) mod TotalSegments}, a stable
 * function of the key, so the segments partition the table and paging within one is consistent. KCL lists leases
 * with parallel scans and filters on streamName / entityType.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html
 *
 * <p>Thread-safe: reads under the table's lock.
 */
final class ScanHandler implements OperationHandler {
    private final Services services;

    ScanHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Table t = services.tables().require(r.tableName("TableName"));
        Integer segment = r.integer("Segment");
        Integer total = r.integer("TotalSegments");
        if ((segment == null) != (total == null)) {
            throw DynamoException.validation("The TotalSegments parameter is required but was not present in the "
                    + "request when Segment parameter is present");
        }
        if (total != null && (total < 1 || total > 1_000_000)) {
            throw DynamoException.validation("1 validation error detected: Value '" + total + "' at 'totalSegments' "
                    + "failed to satisfy constraint: Member must have value between 1 and 1000000");
        }
        if (segment != null && (segment < 0 || segment >= total)) {
            throw DynamoException.validation("The Segment parameter is zero-based and must be less than parameter "
                    + "TotalSegments: Segment: " + segment + " is not less than TotalSegments: " + total);
        }
        t.lockLive();
        try {
            TableDefinition.IndexDefinition index = ItemReads.index(t, r);
            Condition filter = ItemReads.filter(r, "ScanFilter");
            List<ItemReads.Entry> entries = ItemReads.entries(t, index,
                    e -> segment == null || segmentOf(e.tableKey(), total) == segment);
            return ItemReads.page(t, index, r, entries, filter);
        } finally {
            t.lock.unlock();
        }
    }

    static int segmentOf(PrimaryKey key, int totalSegments) {
        return Math.floorMod(key.hashText().hashCode(), totalSegments);
    }
}
