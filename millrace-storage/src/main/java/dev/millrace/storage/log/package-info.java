/**
 * The embedded log engine: one directory per shard holding segment files of record batches, each with a sparse
 * index. Start with {@link dev.millrace.storage.log.EmbeddedLogStore}; {@link dev.millrace.storage.log.RecordBatch}
 * and {@link dev.millrace.storage.log.SegmentIndex} draw the on-disk layouts.
 */
package dev.millrace.storage.log;
