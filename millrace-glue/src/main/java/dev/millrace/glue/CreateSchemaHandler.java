package dev.millrace.glue;

import java.util.Map;

/**
 * CreateSchema: a schema and, given its SchemaDefinition, its version 1 (also its checkpoint). Without a RegistryId
 * it goes to {@value GlueServices#DEFAULT_REGISTRY}, created on first use as AWS does. Millrace keeps JSON Schemas
 * only: AVRO and PROTOBUF are refused with InvalidInputException.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_CreateSchema.html
 *
 * <p>Thread-safe.
 */
final class CreateSchemaHandler implements GlueHandler {
    private final GlueServices s;

    CreateSchemaHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        GlueInput registryId = in.structure("RegistryId");
        String registry = registryId == null ? GlueServices.DEFAULT_REGISTRY : s.registryName(registryId);
        String name = GlueInput.name("SchemaName", in.required("SchemaName"));
        String dataFormat = in.required("DataFormat");
        if (!GlueServices.DATA_FORMATS.contains(dataFormat)) {
            throw GlueException.invalidInput("DataFormat must be one of AVRO, JSON, PROTOBUF.");
        }
        if (!"JSON".equals(dataFormat)) {
            throw GlueException.invalidInput("Millrace keeps JSON Schemas only (DataFormat JSON): channels read"
                    + " JSON records; " + dataFormat + " schemas are not supported.");
        }
        String compatibility = in.string("Compatibility");
        if (compatibility == null) {
            compatibility = GlueServices.DEFAULT_COMPATIBILITY;
        } else if (!GlueServices.COMPATIBILITIES.contains(compatibility)) {
            throw GlueException.invalidInput("Compatibility must be one of "
                    + GlueServices.COMPATIBILITIES.stream().sorted().toList() + ".");
        }
        String description = in.description();
        Map<String, String> tags = in.tags();
        String definition = in.string("SchemaDefinition");
        String digest = definition == null ? null : GlueServices.digest(dataFormat, definition);

        if (registryId == null && s.store.registry(registry).isEmpty()) {
            try {
                CreateRegistryHandler.create(s, registry, "Default registry, created by CreateSchema.", Map.of());
            } catch (GlueException e) {
                if (!"AlreadyExistsException".equals(e.errorType())) {
                    throw e; // another CreateSchema made it meanwhile: fine
                }
            }
        }
        long read = s.store.version();
        SchemaRegistryStore.Registry r = s.store.registry(registry)
                .orElseThrow(() -> GlueException.notFound("Registry not found: " + registry));
        if (s.store.schema(registry, name).isPresent()) {
            throw GlueException.alreadyExists("Schema already exists. RegistryName: " + registry
                    + ", SchemaName: " + name);
        }
        if (s.store.schemaCount() >= GlueServices.MAX_SCHEMAS) {
            throw GlueException.limitExceeded("An account's region holds at most " + GlueServices.MAX_SCHEMAS
                    + " schemas here.");
        }
        long nowMs = s.clock.millis();
        long latest = definition == null ? 0 : 1;
        SchemaRegistryStore.Schema schema = new SchemaRegistryStore.Schema(r.name(), name, dataFormat,
                compatibility, description, tags, latest, latest + 1, latest, nowMs, nowMs);
        Map<String, byte[]> changes = SchemaRegistryStore.changes();
        s.store.putSchema(changes, schema);
        SchemaRegistryStore.Version v = definition == null ? null
                : s.addVersion(changes, schema, 1, definition, digest, nowMs);
        s.store.commit(read, changes);

        GlueOutput out = new GlueOutput().string("RegistryName", registry).string("RegistryArn",
                        s.registryArn(registry)).string("SchemaName", name).string("SchemaArn",
                        s.schemaArn(registry, name)).string("Description", description)
                .string("DataFormat", dataFormat).string("Compatibility", compatibility);
        if (v != null) {
            out.number("SchemaCheckpoint", 1).number("LatestSchemaVersion", 1);
        }
        out.number("NextSchemaVersion", latest + 1).string("SchemaStatus", GlueServices.AVAILABLE).tags(tags);
        if (v != null) {
            out.string("SchemaVersionId", v.id()).string("SchemaVersionStatus", GlueServices.AVAILABLE);
        }
        return out.bytes();
    }
}
