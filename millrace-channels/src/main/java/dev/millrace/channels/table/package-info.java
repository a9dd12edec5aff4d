/**
 * The SPI through which channel delivery writes to tables (S3 Tables destinations: Apache Iceberg), so that
 * millrace-channels needs no table library: {@link dev.millrace.channels.table.TableSink} and what it is given and
 * answers, and {@link dev.millrace.channels.table.GsrRecords}, the Glue Schema Registry record header. The Iceberg
 * implementation is millrace-iceberg's; millrace-app wires it.
 */
package dev.millrace.channels.table;
