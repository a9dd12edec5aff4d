/**
 * Shard records on their way in and out: {@link dev.millrace.server.records.RecordWriter}, the one append path of
 * PutRecord and PutRecords (routing, scaling meter, write allowance, per-shard batches, re-routing past a concurrent
 * reshard), and the rendering of records read back, shared by GetRecords and SubscribeToShard. Depends on
 * {@code state}, storage and protocol only, so both {@code api} and {@code fanout} can use it.
 */
package dev.millrace.server.records;
