/**
 * Delivery of a channel's stream to its destination, exactly once per shard: batches cut deterministically from each
 * shard's log (so a retry after a crash writes the same object under the same key), AWS's object key templates,
 * record formats and their validation, compression, the dead-letter location, and per-shard checkpoints in the
 * metadata store. Destinations are behind {@link dev.millrace.channels.delivery} interfaces; see the s3 package.
 */
package dev.millrace.channels.delivery;
