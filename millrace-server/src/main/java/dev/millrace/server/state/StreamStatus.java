package dev.millrace.server.state;

/** A stream's status, as the API reports it. Immutable, thread-safe. */
public enum StreamStatus { CREATING, DELETING, ACTIVE, UPDATING }
