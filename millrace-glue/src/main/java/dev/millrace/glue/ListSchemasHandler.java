package dev.millrace.glue;

import java.util.Map;
import java.util.SortedMap;

/**
 * ListSchemas: the schemas of one registry, or of every registry without RegistryId, in (registry, name) order, at
 * most MaxResults (default 25, at most 100) per page.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_ListSchemas.html
 *
 * <p>Thread-safe.
 */
final class ListSchemasHandler implements GlueHandler {
    private final GlueServices s;

    ListSchemasHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        GlueInput registryId = in.structure("RegistryId");
        String prefix = registryId == null ? "" : s.existingRegistry(registryId).name() + "/";
        int max = in.maxResults();
        SortedMap<String, byte[]> entries = s.store.schemaEntries(prefix);
        String token = in.string("NextToken");
        if (token != null) {
            entries = entries.tailMap(GlueServices.resumeKey(token, SchemaRegistryStore.SCHEMA + prefix));
        }
        GlueOutput out = new GlueOutput().startList("Schemas");
        int n = 0;
        String next = null;
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            if (n == max) {
                next = GlueServices.token(e.getKey());
                break;
            }
            SchemaRegistryStore.Schema schema = SchemaRegistryStore.schemaOfKey(e.getKey(), e.getValue());
            out.startItem().string("RegistryName", schema.registry()).string("SchemaName", schema.name())
                    .string("SchemaArn", s.schemaArn(schema.registry(), schema.name()))
                    .string("Description", schema.description()).string("SchemaStatus", GlueServices.AVAILABLE)
                    .string("CreatedTime", GlueServices.time(schema.createdMs()))
                    .string("UpdatedTime", GlueServices.time(schema.updatedMs())).endItem();
            n++;
        }
        return out.endList().string("NextToken", next).bytes();
    }
}
