/**
 * Delivery of a channel's stream to its destination, exactly once per shard: batches cut deterministically from each
 * shard's log (so a retry after a crash writes the same object under the same key), AWS's object key templates,
 * record formats and their validation, compression, the dead-letter location, and per-shard checkpoints in the
 * metadata store. {@link dev.millrace.channels.delivery.DeliveryEngine} is the entry point; objects go to a
 * {@link dev.millrace.channels.s3.Destination}, and the stream's shards come from the server through
 * {@link dev.millrace.channels.delivery.ShardSource}.
 */
package dev.millrace.channels.delivery;
