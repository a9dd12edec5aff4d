package dev.millrace.channels;

/** ChannelDestinationType: a general purpose bucket or S3 Tables (Apache Iceberg). */
public enum DestinationType {
    S3, S3_TABLES
}
