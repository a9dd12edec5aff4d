package dev.millrace.glue;

/**
 * GetSchema: a schema's details.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_GetSchema.html
 *
 * <p>Thread-safe.
 */
final class GetSchemaHandler implements GlueHandler {
    private final GlueServices s;

    GetSchemaHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        SchemaRegistryStore.Schema schema = s.existingSchema(in.structure("SchemaId"));
        GlueOutput out = new GlueOutput().string("RegistryName", schema.registry())
                .string("RegistryArn", s.registryArn(schema.registry())).string("SchemaName", schema.name())
                .string("SchemaArn", s.schemaArn(schema.registry(), schema.name()))
                .string("Description", schema.description()).string("DataFormat", schema.dataFormat())
                .string("Compatibility", schema.compatibility());
        if (schema.latest() > 0) {
            out.number("SchemaCheckpoint", schema.checkpoint()).number("LatestSchemaVersion", schema.latest());
        }
        return out.number("NextSchemaVersion", schema.next()).string("SchemaStatus", GlueServices.AVAILABLE)
                .string("CreatedTime", GlueServices.time(schema.createdMs()))
                .string("UpdatedTime", GlueServices.time(schema.updatedMs())).bytes();
    }
}
