package dev.millrace.glue;

import java.util.Map;
import java.util.Optional;

/**
 * RegisterSchemaVersion: the schema's next version; a definition equal to a registered version's (compared as
 * normalised JSON) returns that version, as AWS does. Compatibility DISABLED refuses new versions; the other modes
 * are recorded, not checked (no Java library checks JSON Schema compatibility well: README).
 * https://docs.aws.amazon.com/glue/latest/webapi/API_RegisterSchemaVersion.html
 *
 * <p>Thread-safe.
 */
final class RegisterSchemaVersionHandler implements GlueHandler {
    private final GlueServices s;

    RegisterSchemaVersionHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        GlueInput schemaId = in.structure("SchemaId");
        String definition = in.required("SchemaDefinition");
        long read = s.store.version();
        SchemaRegistryStore.Schema schema = s.existingSchema(schemaId);
        String digest = GlueServices.digest(schema.dataFormat(), definition);
        Optional<SchemaRegistryStore.Version> same = s.sameDefinition(schema, digest);
        if (same.isPresent()) {
            return answer(same.get());
        }
        if ("DISABLED".equals(schema.compatibility()) && schema.latest() > 0) {
            throw GlueException.invalidInput("Compatibility DISABLED does not allow versioning. SchemaName: "
                    + schema.name() + ", RegistryName: " + schema.registry());
        }
        if (s.store.versionIndex(schema.registry(), schema.name()).size() >= GlueServices.MAX_VERSIONS) {
            throw GlueException.limitExceeded("A schema holds at most " + GlueServices.MAX_VERSIONS
                    + " versions here.");
        }
        long nowMs = s.clock.millis();
        long number = schema.next();
        SchemaRegistryStore.Schema updated = schema.withLatest(number, nowMs);
        if (schema.checkpoint() == 0) {
            updated = new SchemaRegistryStore.Schema(updated.registry(), updated.name(), updated.dataFormat(),
                    updated.compatibility(), updated.description(), updated.tags(), updated.latest(),
                    updated.next(), number, updated.createdMs(), updated.updatedMs());
        }
        Map<String, byte[]> changes = SchemaRegistryStore.changes();
        s.store.putSchema(changes, updated);
        SchemaRegistryStore.Version v = s.addVersion(changes, schema, number, definition, digest, nowMs);
        s.store.commit(read, changes);
        return answer(v);
    }

    private static byte[] answer(SchemaRegistryStore.Version v) {
        return new GlueOutput().string("SchemaVersionId", v.id()).number("VersionNumber", v.number())
                .string("Status", GlueServices.AVAILABLE).bytes();
    }
}
