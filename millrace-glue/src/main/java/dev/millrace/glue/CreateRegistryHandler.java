package dev.millrace.glue;

import java.util.Map;

/**
 * CreateRegistry: a new, empty registry.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_CreateRegistry.html
 *
 * <p>Thread-safe.
 */
final class CreateRegistryHandler implements GlueHandler {
    private final GlueServices s;

    CreateRegistryHandler(GlueServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(GlueInput in) {
        String name = GlueInput.name("RegistryName", in.required("RegistryName"));
        String description = in.description();
        Map<String, String> tags = in.tags();
        SchemaRegistryStore.Registry r = create(s, name, description, tags);
        return new GlueOutput().string("RegistryArn", s.registryArn(name)).string("RegistryName", name)
                .string("Description", r.description()).tags(r.tags()).bytes();
    }

    /** Creates registry {@code name}, within the account's limit; also CreateSchema's default registry. */
    static SchemaRegistryStore.Registry create(GlueServices s, String name, String description,
                                               Map<String, String> tags) {
        long read = s.store.version();
        if (s.store.registry(name).isPresent()) {
            throw GlueException.alreadyExists("Registry already exists. RegistryName: " + name);
        }
        if (s.store.registries().size() >= GlueServices.MAX_REGISTRIES) {
            throw GlueException.limitExceeded("An account's region holds at most " + GlueServices.MAX_REGISTRIES
                    + " registries here.");
        }
        long nowMs = s.clock.millis();
        SchemaRegistryStore.Registry r = new SchemaRegistryStore.Registry(name, description, tags, nowMs, nowMs);
        Map<String, byte[]> changes = SchemaRegistryStore.changes();
        s.store.putRegistry(changes, r);
        s.store.commit(read, changes);
        return r;
    }
}
