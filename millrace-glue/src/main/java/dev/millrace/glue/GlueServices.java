package dev.millrace.glue;

import dev.millrace.storage.MetadataStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * What the handlers share: the store, the clock, the account and region the ARNs name, how a RegistryId or SchemaId
 * is resolved, the limits, and how a version is added. Limits (AWS's quotas, rounded; Millrace's choice, documented
 * in the README): {@link #MAX_REGISTRIES} registries and {@link #MAX_SCHEMAS} schemas per account and region,
 * {@link #MAX_VERSIONS} versions per schema, {@link #MAX_DEFINITION_CHARS_TOTAL} characters of definitions per account
 * and region, each a ResourceNumberLimitExceededException past it.
 *
 * <p>Thread-safe (the store serialises commits).
 */
final class GlueServices {
    static final String DEFAULT_REGISTRY = "default-registry";
    static final int MAX_REGISTRIES = 100;
    static final int MAX_SCHEMAS = 10_000;
    static final int MAX_VERSIONS = 1_000;
    /**
     * Millrace's own bound, on what every definition of an account's region takes together (each is up to 170,000
     * characters; without it 10,000 schemas of 1,000 versions could fill the metadata store, which a node holds in
     * memory): 32 Mi characters, a few hundred of the largest definitions or tens of thousands of typical ones.
     */
    static final long MAX_DEFINITION_CHARS_TOTAL = 32L * 1024 * 1024;
    static final Set<String> DATA_FORMATS = Set.of("AVRO", "JSON", "PROTOBUF");
    static final Set<String> COMPATIBILITIES = Set.of("NONE", "DISABLED", "BACKWARD", "BACKWARD_ALL", "FORWARD",
            "FORWARD_ALL", "FULL", "FULL_ALL");
    /** AWS's model gives no default; its guide recommends BACKWARD, which is what the console preselects. */
    static final String DEFAULT_COMPATIBILITY = "BACKWARD";
    static final String AVAILABLE = "AVAILABLE";
    private static final int MAX_ARN_CHARS = 10_240;
    private static final java.util.regex.Pattern GLUE_ARN = java.util.regex.Pattern.compile(
            "arn:aws(-(cn|us-gov|iso(-[bef])?))?:glue:.*");

    final SchemaRegistryStore store;
    final Clock clock;
    final String region;
    final String accountId;
    /** {@link #MAX_DEFINITION_CHARS_TOTAL}, or less in tests. */
    private final long maxDefinitionChars;

    GlueServices(MetadataStore store, Clock clock, String region, String accountId, long maxDefinitionChars) {
        this.store = new SchemaRegistryStore(store);
        this.clock = clock;
        this.region = region;
        this.accountId = accountId;
        this.maxDefinitionChars = maxDefinitionChars;
    }

    String registryArn(String registry) {
        return "arn:" + partition() + ":glue:" + region + ":" + accountId + ":registry/" + registry;
    }

    String schemaArn(String registry, String schema) {
        return "arn:" + partition() + ":glue:" + region + ":" + accountId + ":schema/" + registry + "/" + schema;
    }

    private String partition() {
        return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    }

    /** CreatedTime/UpdatedTime: strings in Glue's model; ISO-8601 UTC with milliseconds here. */
    static String time(long epochMs) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(epochMs).truncatedTo(ChronoUnit.MILLIS));
    }

    /**
     * The registry a RegistryId names: exactly one of RegistryName and RegistryArn; an ARN of another account or
     * region names nothing here.
     */
    String registryName(GlueInput id) {
        String name = id.string("RegistryName");
        String arn = id.string("RegistryArn");
        if ((name == null) == (arn == null)) {
            throw GlueException.invalidInput("RegistryId needs exactly one of RegistryName and RegistryArn.");
        }
        if (name != null) {
            return GlueInput.name("RegistryName", name);
        }
        checkArn("RegistryArn", arn);
        String prefix = "arn:" + partition() + ":glue:" + region + ":" + accountId + ":registry/";
        if (!arn.startsWith(prefix)) {
            throw GlueException.notFound("Registry " + GlueInput.clip(arn) + " not found: Millrace serves "
                    + prefix + "* here.");
        }
        return GlueInput.name("RegistryArn", arn.substring(prefix.length()));
    }

    /** The model's GlueResourceArn: 1 to 10240 characters of a Glue ARN in any partition. */
    private static void checkArn(String member, String arn) {
        if (arn.isEmpty() || arn.length() > MAX_ARN_CHARS || !GLUE_ARN.matcher(arn).matches()) {
            throw GlueException.invalidInput(member + " '" + GlueInput.clip(arn) + "' is not a Glue ARN.");
        }
    }

    /** The registry a RegistryId names, which must exist. */
    SchemaRegistryStore.Registry existingRegistry(GlueInput id) {
        String name = registryName(id);
        return store.registry(name).orElseThrow(() -> GlueException.notFound("Registry not found: " + name));
    }

    /** [registry, schema] named by a SchemaId: SchemaArn, or SchemaName with RegistryName (default-registry). */
    String[] schemaNames(GlueInput id) {
        if (id == null) {
            throw GlueException.invalidInput("SchemaId is required.");
        }
        String arn = id.string("SchemaArn");
        String name = id.string("SchemaName");
        if ((arn == null) == (name == null)) {
            throw GlueException.invalidInput("SchemaId needs exactly one of SchemaArn and SchemaName.");
        }
        if (name != null) {
            String registry = id.string("RegistryName");
            return new String[] {registry == null ? DEFAULT_REGISTRY : GlueInput.name("RegistryName", registry),
                    GlueInput.name("SchemaName", name)};
        }
        checkArn("SchemaArn", arn);
        String prefix = "arn:" + partition() + ":glue:" + region + ":" + accountId + ":schema/";
        String rest = arn.startsWith(prefix) ? arn.substring(prefix.length()) : "";
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw GlueException.notFound("Schema " + GlueInput.clip(arn) + " not found: Millrace serves " + prefix
                    + "REGISTRY/SCHEMA here.");
        }
        return new String[] {GlueInput.name("SchemaArn", rest.substring(0, slash)),
                GlueInput.name("SchemaArn", rest.substring(slash + 1))};
    }

    SchemaRegistryStore.Schema existingSchema(GlueInput id) {
        String[] names = schemaNames(id);
        return store.schema(names[0], names[1]).orElseThrow(() -> GlueException.notFound(
                "Schema is not found. RegistryName: " + names[0] + ", SchemaName: " + names[1]));
    }

    /** The id and digest under which {@code definition} (checked for its format) would be a new version. */
    static String digest(String dataFormat, String definition) {
        String normal = "JSON".equals(dataFormat) ? SchemaDefinitions.normalised(definition) : definition;
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(normal.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** The version of {@code schema} whose definition is {@code digest}'s, if one was registered. */
    Optional<SchemaRegistryStore.Version> sameDefinition(SchemaRegistryStore.Schema schema, String digest) {
        return store.versionIdByDigest(schema.registry(), schema.name(), digest).flatMap(store::version);
    }

    /**
     * Adds version {@code number} of {@code schema} to {@code changes}, within {@link #MAX_DEFINITION_CHARS_TOTAL};
     * its id is a random UUID, as AWS's are.
     */
    SchemaRegistryStore.Version addVersion(Map<String, byte[]> changes, SchemaRegistryStore.Schema schema,
                                           long number, String definition, String digest, long nowMs) {
        long chars = store.definitionChars() + definition.length();
        if (chars > maxDefinitionChars) {
            throw GlueException.limitExceeded("The definitions of an account's region may take at most "
                    + maxDefinitionChars + " characters here.");
        }
        SchemaRegistryStore.Version v = new SchemaRegistryStore.Version(UUID.randomUUID().toString(),
                schema.registry(), schema.name(), number, definition, digest, nowMs);
        store.putVersion(changes, v);
        store.putDefinitionChars(changes, chars);
        return v;
    }

    /** The opaque NextToken for a list that stopped before {@code key}. */
    static String token(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The key a NextToken resumes at, which must lie under {@code prefix} (a token of another list is refused). */
    static String resumeKey(String token, String prefix) {
        try {
            String key = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (key.startsWith(prefix)) {
                return key;
            }
        } catch (IllegalArgumentException notBase64) {
            // answered below
        }
        throw GlueException.invalidInput("NextToken is not one this list gave.");
    }
}
