/**
 * Kinesis channels: the control plane. A channel's description (ARN by channel id, name, state, stream, destination,
 * record format, freshness, logging, tags), kept in the metadata store of its account's region so that it survives
 * restarts and every node of a cluster sees it; AWS's validation, limits and state machine (CREATING, ACTIVE,
 * UPDATING, DELETING, FAILED). The server's handlers call it; it reaches the server's streams through an interface.
 * Depends on protocol and storage only.
 */
package dev.millrace.channels;
