/**
 * Event source mappings as kept in an account's region's metadata store ({@link
 * dev.millrace.lambda.mapping.MappingStore}): what the mapping API writes and the processing engine reads, settles
 * and annotates. No HTTP or JSON protocol types: the store's values are its own JSON.
 */
package dev.millrace.lambda.mapping;
