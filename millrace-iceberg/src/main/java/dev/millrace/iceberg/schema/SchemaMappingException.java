package dev.millrace.iceberg.schema;

/**
 * A JSON Schema that cannot become an Iceberg table schema. The message names the place in the schema (a JSON
 * pointer, empty for the root) so that CreateChannel can answer an InvalidArgumentException a user can act on.
 */
public final class SchemaMappingException extends Exception {

    private final String schemaPath;

    public SchemaMappingException(String schemaPath, String problem) {
        super((schemaPath.isEmpty() ? "schema" : "schema at " + schemaPath) + ": " + problem);
        this.schemaPath = schemaPath;
    }

    /** JSON pointer into the schema document where the problem is ("" for the root). */
    public String schemaPath() {
        return schemaPath;
    }
}
