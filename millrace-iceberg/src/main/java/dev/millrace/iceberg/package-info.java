/**
 * Channel delivery into Apache Iceberg tables. {@link dev.millrace.iceberg.IcebergCatalogs} opens the catalog a table
 * bucket ARN maps to (the embedded JDBC catalog on SQLite, or an Iceberg REST catalog); {@link
 * dev.millrace.iceberg.IcebergBatchWriter} writes one shard batch as Parquet and commits it together with the shard's
 * checkpoint in one snapshot, so that a batch is in the table exactly once across crashes, retries and rival writers.
 * Transport-free; depends on Iceberg, Parquet and the few Hadoop classes Parquet's writer loads, never on the server.
 */
package dev.millrace.iceberg;
