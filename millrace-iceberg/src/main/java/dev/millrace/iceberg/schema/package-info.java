/**
 * From a channel's JSON Schema to an Iceberg table schema ({@link dev.millrace.iceberg.schema.JsonSchemaToIceberg}),
 * and from a JSON record to an Iceberg row or a reasoned rejection ({@link dev.millrace.iceberg.schema.JsonRecords}).
 * The only package that uses jackson-databind (as a tree model; the rest of the project stays on Jackson streaming).
 */
package dev.millrace.iceberg.schema;
