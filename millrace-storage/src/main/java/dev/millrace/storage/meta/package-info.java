/**
 * The embedded {@link dev.millrace.storage.MetadataStore}: a journal of atomic commits plus a periodic snapshot.
 * Start with {@link dev.millrace.storage.meta.FileMetadataStore}; {@link dev.millrace.storage.meta.MetadataEntry}
 * draws the layout.
 */
package dev.millrace.storage.meta;
