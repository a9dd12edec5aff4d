/**
 * The storage SPI of Millrace: what the server needs from wherever records and metadata live.
 *
 * <p>Nothing here knows about files, HTTP, JSON or AWS. A shard is an append-only sequence of records addressed by a
 * 64-bit <em>position</em> that only grows (it may skip values, it never repeats one); stream, shard and consumer
 * metadata is an atomic key/value map. The embedded engine in {@code dev.millrace.storage.log} and
 * {@code dev.millrace.storage.meta} implements both on local disk; a Kafka backend would map a shard to a
 * single-partition topic (position = offset) and the metadata map to a compacted topic.
 *
 * <p>Readers that wait for new records (SubscribeToShard) learn of appends from the shard log itself
 * ({@link dev.millrace.storage.ShardLog#onAppend}), so the layers above never have to announce their own writes; a
 * Kafka backend tells of an append when its producer's send is acknowledged, and may tell of other nodes' appends when
 * its consumer sees them.
 */
package dev.millrace.storage;
