package dev.millrace.glue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;

/**
 * ListSchemaVersions: one schema's versions in version order, at most MaxResults (default 25, at most 100) per page.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_ListSchemaVersions.html
 *
 * <p>Thread-safe.
 */
final class ListSchemaVersionsHandler implements GlueHandler {
    private final GlueServices s;

    ListSchemaVersionsHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        SchemaRegistryStore.Schema schema = s.existingSchema(in.structure("SchemaId"));
        int max = in.maxResults();
        SortedMap<String, byte[]> index = s.store.versionIndex(schema.registry(), schema.name());
        String token = in.string("NextToken");
        if (token != null) {
            index = index.tailMap(GlueServices.resumeKey(token, SchemaRegistryStore.VERSION_INDEX
                    + schema.registry() + "/" + schema.name() + "/"));
        }
        String arn = s.schemaArn(schema.registry(), schema.name());
        GlueOutput out = new GlueOutput().startList("Schemas");
        int n = 0;
        String next = null;
        for (Map.Entry<String, byte[]> e : index.entrySet()) {
            if (n == max) {
                next = GlueServices.token(e.getKey());
                break;
            }
            SchemaRegistryStore.Version v = s.store.version(new String(e.getValue(), StandardCharsets.UTF_8))
                    .orElse(null);
            if (v == null) {
                continue;
            }
            out.startItem().string("SchemaArn", arn).string("SchemaVersionId", v.id())
                    .number("VersionNumber", v.number()).string("Status", GlueServices.AVAILABLE)
                    .string("CreatedTime", GlueServices.time(v.createdMs())).endItem();
            n++;
        }
        return out.endList().string("NextToken", next).bytes();
    }
}
