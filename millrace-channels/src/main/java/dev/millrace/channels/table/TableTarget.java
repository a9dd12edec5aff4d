package dev.millrace.channels.table;

import java.util.Objects;

/**
 * The table a channel delivers to, as the control plane resolved it: what a {@link TableSink} needs and nothing of
 * how the registry keeps channels.
 *
 * <p>Immutable, thread-safe.
 *
 * @param channelId        the channel's id: owns the table (a table it did not create is not written)
 * @param channelName      the channel's name, for messages
 * @param tableBucketArn   TableBucketARN: which catalog
 * @param namespace        the table's namespace (lowercase)
 * @param tableName        the table's name (lowercase)
 * @param compression      CompressionType: NONE, ZSTD or SNAPPY (the Parquet codec)
 * @param partitionColumn  the PartitionSpec's TIME_HOUR source column, or null when the channel gave none
 * @param recordFormat     RecordFormatType: JSON (plain JSON records) or GSR_JSON (records with the GSR header)
 * @param schemaArn        GSRSchemaARN
 * @param schemaVersionId  the id of the schema version the table is created with (the latest when first delivered),
 *                         or null when the ARN names no schema version (the destination check then says so)
 * @param schemaDefinition that version's JSON Schema, or null with {@code schemaVersionId}
 */
public record TableTarget(String channelId, String channelName, String tableBucketArn, String namespace,
                          String tableName, String compression, String partitionColumn, String recordFormat,
                          String schemaArn, String schemaVersionId, String schemaDefinition) {

    /** RecordFormatType of records that carry the Glue Schema Registry header. */
    public static final String GSR_JSON = "GSR_JSON";

    public TableTarget {
        Objects.requireNonNull(channelId, "channelId");
        Objects.requireNonNull(channelName, "channelName");
        Objects.requireNonNull(tableBucketArn, "tableBucketArn");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(tableName, "tableName");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(recordFormat, "recordFormat");
        Objects.requireNonNull(schemaArn, "schemaArn");
        if ((schemaVersionId == null) != (schemaDefinition == null)) {
            throw new IllegalArgumentException("a schema version id goes with its definition");
        }
    }

    /** Whether records carry the GSR header (GSR_JSON) rather than being plain JSON. */
    public boolean gsrRecords() {
        return GSR_JSON.equals(recordFormat);
    }

    /** {@code namespace.tableName}, for messages. */
    public String qualifiedName() {
        return namespace + "." + tableName;
    }
}
