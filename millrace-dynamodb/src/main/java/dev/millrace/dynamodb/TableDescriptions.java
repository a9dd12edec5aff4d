package dev.millrace.dynamodb;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.Map;

/**
 * Writes a TableDescription with the live item count and size, and the ContinuousBackupsDescription.
 *
 * <p>Stateless, thread-safe; callers hold the table's lock.
 */
final class TableDescriptions {
    private TableDescriptions() {
    }

    static void write(JsonGenerator g, String field, Services s, Table t, String status) throws IOException {
        long size = 0;
        for (Map<String, AttributeValue> item : t.items().values()) {
            size += DynamoJson.itemBytes(item).length;
        }
        t.definition().writeDescription(g, field, s.tableArn(t.name()), status, t.items().size(), size);
    }

    static byte[] continuousBackups(Services s, TableDefinition d) {
        return DynamoJson.object(g -> {
            g.writeObjectFieldStart("ContinuousBackupsDescription");
            g.writeStringField("ContinuousBackupsStatus", "ENABLED");
            g.writeObjectFieldStart("PointInTimeRecoveryDescription");
            g.writeStringField("PointInTimeRecoveryStatus", d.pointInTimeRecovery() ? "ENABLED" : "DISABLED");
            if (d.pointInTimeRecovery()) {
                g.writeNumberField("RecoveryPeriodInDays", 35);
                DynamoJson.writeEpochSeconds(g, "EarliestRestorableDateTime", d.createdMs());
                DynamoJson.writeEpochSeconds(g, "LatestRestorableDateTime", s.clock().millis());
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }
}
