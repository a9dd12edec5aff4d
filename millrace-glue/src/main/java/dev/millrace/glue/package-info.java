/**
 * The Glue Schema Registry subset that channels' {@code GSRSchemaARN} resolves through: registries, schemas and
 * their versions (CreateRegistry, CreateSchema, RegisterSchemaVersion, GetSchema, GetSchemaVersion, ListSchemas,
 * ListSchemaVersions) in AWS's JSON 1.1 protocol, kept in one account's region's metadata store, and
 * {@link dev.millrace.glue.SchemaLookup}, what the channel code asks. Transport-free: request bytes in, status and
 * response bytes out; the server routes {@code X-Amz-Target: AWSGlue.*} here. Depends on protocol and storage only.
 */
package dev.millrace.glue;
