/**
 * The storage SPI of Millrace: what the server needs from wherever records and metadata live.
 *
 * <p>Nothing here knows about files, HTTP, JSON or AWS. A shard is an append-only sequence of records addressed by a
 * 64-bit <em>position</em> that only grows (it may skip values, it never repeats one); stream, shard and consumer
 * metadata is an atomic key/value map. The embedded engine in {@code dev.millrace.storage.log} and
 * {@code dev.millrace.storage.meta} implements both on local disk; a Kafka backend would map a shard to a
 * single-partition topic (position = offset) and the metadata map to a compacted topic.
 */
package dev.millrace.storage;
