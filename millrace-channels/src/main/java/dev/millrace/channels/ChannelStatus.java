package dev.millrace.channels;

/** A channel's status, as AWS's ChannelStatus enum names them. */
public enum ChannelStatus {
    CREATING, ACTIVE, UPDATING, DELETING, FAILED
}
