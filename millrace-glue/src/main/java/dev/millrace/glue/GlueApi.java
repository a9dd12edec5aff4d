package dev.millrace.glue;

import dev.millrace.protocol.Failures;
import dev.millrace.storage.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The Glue Schema Registry subset of one account's region, served on Millrace's port in AWS's JSON 1.1 protocol:
 * <pre>
 *   request   POST /, X-Amz-Target: AWSGlue.&lt;Operation&gt;, Content-Type: application/x-amz-json-1.1
 *             {input members}
 *   answer    200, Content-Type: application/x-amz-json-1.1, {output members}
 *   error     400 (500 for InternalServiceException), x-amzn-ErrorType: &lt;type&gt;
 *             {"__type":"EntityNotFoundException","Message":"..."}
 * </pre>
 * Seven operations (the table below); any other AWSGlue target gets UnknownOperationException. Registries, schemas
 * and versions are kept in the metadata store it is given ({@link SchemaRegistryStore}), so they survive restarts and
 * every node of a cluster reads them; the server runs the changing calls on the metadata writer only. It is also the
 * {@link SchemaLookup} channel code resolves {@code GSRSchemaARN}s through.
 *
 * <p>Thread-safe.
 */
public final class GlueApi implements SchemaLookup {
    private static final Logger log = LoggerFactory.getLogger(GlueApi.class);
    /** The model's targetPrefix; calls are {@code AWSGlue.<Operation>}. */
    public static final String SERVICE = "AWSGlue";
    public static final String TARGET_PREFIX = SERVICE + ".";
    public static final String CONTENT_TYPE = "application/x-amz-json-1.1";
    /** The operations that change the registry: run on the metadata writer. */
    private static final Set<String> CHANGING = Set.of("CreateRegistry", "CreateSchema", "RegisterSchemaVersion");
    /** How often a change that lost a race to another commit of the store is run again before giving up. */
    static final int MAX_ATTEMPTS = 8;

    /** An answer: HTTP status, JSON body, and the error type (null on success). */
    public record Result(int httpStatus, byte[] body, String errorType) {
    }

    private final GlueServices services;
    private final Map<String, GlueHandler> handlers = new HashMap<>();

    /**
     * @param store     the account's region's metadata (the server's RegionMetadata view)
     * @param region    the region its ARNs name
     * @param accountId the account its ARNs name
     */
    public GlueApi(MetadataStore store, Clock clock, String region, String accountId) {
        this(store, clock, region, accountId, GlueServices.MAX_DEFINITION_CHARS_TOTAL);
    }

    /** With another bound on the characters of all definitions (tests). */
    GlueApi(MetadataStore store, Clock clock, String region, String accountId, long maxDefinitionChars) {
        services = new GlueServices(store, clock, region, accountId, maxDefinitionChars);
        register("CreateRegistry", CreateRegistryHandler::new);
        register("CreateSchema", CreateSchemaHandler::new);
        register("RegisterSchemaVersion", RegisterSchemaVersionHandler::new);
        register("GetSchema", GetSchemaHandler::new);
        register("GetSchemaVersion", GetSchemaVersionHandler::new);
        register("ListSchemas", ListSchemasHandler::new);
        register("ListSchemaVersions", ListSchemaVersionsHandler::new);
    }

    private void register(String operation, Function<GlueServices, GlueHandler> factory) {
        handlers.put(operation, factory.apply(services));
    }

    /** True when {@code target} is addressed to Glue, so a server sharing one port can route it here. */
    public static boolean isGlueTarget(String target) {
        return target != null && target.startsWith(TARGET_PREFIX);
    }

    /** The operation a Glue target names ({@code AWSGlue.CreateSchema} → CreateSchema), for IAM's glue:&lt;Op&gt;. */
    public static String operationOf(String target) {
        return target.substring(TARGET_PREFIX.length());
    }

    /** Whether {@code target}'s operation changes the registry (a cluster runs it on the metadata writer). */
    public static boolean changes(String target) {
        return isGlueTarget(target) && CHANGING.contains(operationOf(target));
    }

    /**
     * The ARNs a call acts on, for its IAM check ({@code glue:<Operation>} on each): the registry a CreateRegistry
     * makes or a ListSchemas lists, the schema (and its registry) of the others; {@code *} for a call that names
     * none (ListSchemas of every registry, GetSchemaVersion by id) and for a body that does not read (the call
     * itself then answers that).
     */
    public static List<String> resourcesOf(String target, byte[] body, String region, String accountId) {
        GlueServices s = new GlueServices(null, null, region, accountId, 0);
        try {
            GlueInput in = GlueInput.parse(body);
            String op = isGlueTarget(target) ? operationOf(target) : "";
            switch (op) {
                case "CreateRegistry":
                    return List.of(s.registryArn(GlueInput.name("RegistryName", in.required("RegistryName"))));
                case "CreateSchema": {
                    GlueInput registryId = in.structure("RegistryId");
                    String registry = registryId == null ? GlueServices.DEFAULT_REGISTRY : s.registryName(registryId);
                    return List.of(s.registryArn(registry), s.schemaArn(registry,
                            GlueInput.name("SchemaName", in.required("SchemaName"))));
                }
                case "ListSchemas": {
                    GlueInput registryId = in.structure("RegistryId");
                    return List.of(registryId == null ? "*" : s.registryArn(s.registryName(registryId)));
                }
                case "GetSchemaVersion":
                    if (in.structure("SchemaId") == null) {
                        return List.of("*");
                    }
                    // fall through: named by its schema
                case "RegisterSchemaVersion":
                case "GetSchema":
                case "ListSchemaVersions": {
                    String[] names = s.schemaNames(in.structure("SchemaId"));
                    return List.of(s.registryArn(names[0]), s.schemaArn(names[0], names[1]));
                }
                default:
                    return List.of("*");
            }
        } catch (GlueException unreadable) {
            return List.of("*");
        }
    }

    /** Handles one call; never throws. */
    public Result handle(String target, byte[] body) {
        GlueHandler handler = isGlueTarget(target) ? handlers.get(operationOf(target)) : null;
        try {
            if (handler == null) {
                throw GlueException.unknownOperation(target);
            }
            GlueInput input = GlueInput.parse(body);
            for (int attempt = 1; ; attempt++) {
                try {
                    return new Result(200, handler.handle(input), null);
                } catch (SchemaRegistryStore.Stale lost) {
                    if (attempt == MAX_ATTEMPTS) {
                        throw GlueException.concurrentModification("The metadata store kept changing while the"
                                + " request was applied (" + MAX_ATTEMPTS + " attempts); retry it.");
                    }
                }
            }
        } catch (GlueException e) {
            return error(e.errorType(), e.getMessage(), e.httpStatus());
        } catch (Throwable e) {
            // A storage failure or a bug: the client still gets Glue's retryable fault, the log one line.
            log.error("Glue {} failed: {}", target, Failures.brief(e));
            return internalError("Internal service error");
        }
    }

    /** An authentication or authorization failure, in Glue's error shape. */
    public static Result securityError(String errorType, String message, int httpStatus) {
        return error(errorType, message, httpStatus);
    }

    /** Glue's retryable fault (a call that could not reach the metadata writer). */
    public static Result internalError(String message) {
        return error("InternalServiceException", message, 500);
    }

    private static Result error(String errorType, String message, int httpStatus) {
        return new Result(httpStatus, GlueOutput.error(errorType, message), errorType);
    }

    @Override
    public Optional<SchemaVersion> latest(String schemaArn) {
        try {
            GlueInput id = GlueInput.parse(new GlueOutput().string("SchemaArn", schemaArn).bytes());
            String[] names = services.schemaNames(id);
            return services.store.schema(names[0], names[1]).filter(s -> s.latest() > 0)
                    .flatMap(s -> services.store.version(s.registry(), s.name(), s.latest()))
                    .map(this::view);
        } catch (GlueException notHere) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<SchemaVersion> byVersionId(String versionId) {
        if (versionId == null || !GetSchemaVersionHandler.VERSION_ID.matcher(versionId).matches()) {
            return Optional.empty();
        }
        return services.store.version(versionId).map(this::view);
    }

    private SchemaVersion view(SchemaRegistryStore.Version v) {
        String dataFormat = services.store.schema(v.registry(), v.schema())
                .map(SchemaRegistryStore.Schema::dataFormat).orElse("JSON");
        return new SchemaVersion(services.schemaArn(v.registry(), v.schema()), v.id(), v.number(), dataFormat,
                v.definition(), v.createdMs());
    }
}
