package dev.millrace.glue;

import java.util.Optional;

/**
 * What channel code asks the registry: the definition a channel's {@code GSRSchemaARN} names now (its latest
 * version), or the one a record's schema version id names. Both answer from the metadata store as it is on this
 * node (a follower's copy may trail the writer's by a moment).
 *
 * <p>Implementations are thread-safe.
 */
public interface SchemaLookup {

    /** One registered schema version. */
    record SchemaVersion(String schemaArn, String versionId, long versionNumber, String dataFormat,
                         String definition, long createdAtMs) {
    }

    /**
     * The latest version of the schema {@code schemaArn} names
     * ({@code arn:aws:glue:<region>:<account>:schema/<registry>/<schema>}); empty if it names no schema of this
     * account's region or the schema has no version yet.
     */
    Optional<SchemaVersion> latest(String schemaArn);

    /** The version whose SchemaVersionId is {@code versionId} (a lowercase UUID); empty if none. */
    Optional<SchemaVersion> byVersionId(String versionId);
}
