package dev.millrace.glue;

import java.util.regex.Pattern;

/**
 * GetSchemaVersion: one version, named by its SchemaVersionId or by SchemaId and SchemaVersionNumber (exactly one
 * of the two ways, and in SchemaVersionNumber exactly one of LatestVersion and VersionNumber).
 * https://docs.aws.amazon.com/glue/latest/webapi/API_GetSchemaVersion.html
 *
 * <p>Thread-safe.
 */
final class GetSchemaVersionHandler implements GlueHandler {
    static final Pattern VERSION_ID = Pattern.compile(
            "[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}");
    static final long MAX_VERSION_NUMBER = 100_000;
    private final GlueServices s;

    GetSchemaVersionHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        SchemaRegistryStore.Version v = find(s, in);
        SchemaRegistryStore.Schema schema = s.store.schema(v.registry(), v.schema()).orElseThrow(
                () -> GlueException.notFound("Schema version is not found."));
        return new GlueOutput().string("SchemaVersionId", v.id()).string("SchemaDefinition", v.definition())
                .string("DataFormat", schema.dataFormat())
                .string("SchemaArn", s.schemaArn(v.registry(), v.schema())).number("VersionNumber", v.number())
                .string("Status", GlueServices.AVAILABLE).string("CreatedTime", GlueServices.time(v.createdMs()))
                .bytes();
    }

    static SchemaRegistryStore.Version find(GlueServices s, GlueInput in) {
        String id = in.string("SchemaVersionId");
        GlueInput schemaId = in.structure("SchemaId");
        if ((id == null) == (schemaId == null)) {
            throw GlueException.invalidInput("Either SchemaVersionId or SchemaId with SchemaVersionNumber has to be"
                    + " provided, not both.");
        }
        if (id != null) {
            if (!VERSION_ID.matcher(id).matches()) {
                throw GlueException.invalidInput("SchemaVersionId '" + GlueInput.clip(id)
                        + "' is not a schema version id (36 characters, lowercase UUID).");
            }
            return s.store.version(id).orElseThrow(() -> GlueException.notFound("Schema version is not found. "
                    + "SchemaVersionId: " + id));
        }
        GlueInput number = in.structure("SchemaVersionNumber");
        if (number == null) {
            throw GlueException.invalidInput("SchemaVersionNumber is required with SchemaId.");
        }
        Boolean latest = number.bool("LatestVersion");
        Long n = number.number("VersionNumber");
        boolean wantsLatest = Boolean.TRUE.equals(latest);
        if (wantsLatest == (n != null)) {
            throw GlueException.invalidInput("SchemaVersionNumber needs exactly one of LatestVersion true and"
                    + " VersionNumber.");
        }
        if (n != null && (n < 1 || n > MAX_VERSION_NUMBER)) {
            throw GlueException.invalidInput("VersionNumber must be between 1 and " + MAX_VERSION_NUMBER + ".");
        }
        SchemaRegistryStore.Schema schema = s.existingSchema(schemaId);
        long wanted = wantsLatest ? schema.latest() : n;
        return s.store.version(schema.registry(), schema.name(), wanted).orElseThrow(() -> GlueException.notFound(
                "Schema version is not found. SchemaName: " + schema.name() + ", VersionNumber: " + wanted));
    }
}
