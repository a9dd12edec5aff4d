/**
 * The storage SPI on Apache Kafka: a shard is a single-partition topic, metadata a compacted topic written by one
 * fenced transactional writer. See docs/ARCHITECTURE.md, "Kafka backend".
 */
package dev.millrace.storage.kafka;
