/**
 * The embedded storage backend: {@link dev.millrace.storage.embedded.EmbeddedStorage} puts the segmented logs of
 * {@code dev.millrace.storage.log} and the metadata store of {@code dev.millrace.storage.meta} under one data
 * directory.
 */
package dev.millrace.storage.embedded;
