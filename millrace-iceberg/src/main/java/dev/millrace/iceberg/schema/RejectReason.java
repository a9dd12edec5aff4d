package dev.millrace.iceberg.schema;

/**
 * Why a record goes to the dead-letter queue instead of the table. The first is AWS's name; the others are Millrace's
 * (AWS documents no finer codes for Iceberg rejections).
 */
public enum RejectReason {
    /** Not JSON, or JSON that is not an object. */
    DESERIALIZATION_ERROR,
    /** The partition column is absent or null: the row has no hour partition. */
    MISSING_PARTITION_FIELD,
    /** A required property is missing or null, or a value does not have its column's type. */
    SCHEMA_VALIDATION_FAILED
}
