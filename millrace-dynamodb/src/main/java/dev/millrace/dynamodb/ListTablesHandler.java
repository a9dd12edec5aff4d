package dev.millrace.dynamodb;

import java.util.List;

/**
 * ListTables: table names in order, paged by Limit (at most 100) and ExclusiveStartTableName.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTables.html
 *
 * <p>Thread-safe.
 */
final class ListTablesHandler implements OperationHandler {
    private final Services services;

    ListTablesHandler(Services services) {
        this.services = services;
    }

    @Override
    public byte[] handle(Request r) {
        Integer limitParam = r.integer("Limit");
        int limit = limitParam == null ? 100 : limitParam;
        if (limit < 1 || limit > 100) {
            throw DynamoException.validation("1 validation error detected: Value '" + limit + "' at 'limit' failed "
                    + "to satisfy constraint: Member must have value less than or equal to 100");
        }
        String after = r.string("ExclusiveStartTableName");
        List<String> names = services.tables().names();
        int from = 0;
        while (after != null && from < names.size() && names.get(from).compareTo(after) <= 0) {
            from++;
        }
        int to = Math.min(names.size(), from + limit);
        List<String> page = names.subList(from, to);
        boolean more = to < names.size();
        return DynamoJson.object(g -> {
            g.writeArrayFieldStart("TableNames");
            for (String n : page) {
                g.writeString(n);
            }
            g.writeEndArray();
            if (more) {
                g.writeStringField("LastEvaluatedTableName", page.get(page.size() - 1));
            }
        });
    }
}
