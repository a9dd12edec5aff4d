package dev.millrace.iceberg.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonSchemaToIcebergTest {

    private static Schema map(String properties) throws SchemaMappingException {
        return JsonSchemaToIceberg.map("{\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\","
                + "\"format\":\"date-time\"}," + properties + "}}", "ts").schema();
    }

    private static Type typeOf(String propertySchema) throws SchemaMappingException {
        return map("\"x\":" + propertySchema).findField("x").type();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"string\"}                                       | string",
        "{\"type\":\"string\",\"format\":\"date-time\"}              | timestamptz",
        "{\"type\":\"string\",\"format\":\"date\"}                   | date",
        "{\"type\":\"string\",\"format\":\"time\"}                   | time",
        "{\"type\":\"string\",\"format\":\"uuid\"}                   | uuid",
        "{\"type\":\"string\",\"format\":\"email\"}                  | string",
        "{\"type\":\"string\",\"contentEncoding\":\"base64\"}        | binary",
        "{\"type\":\"string\",\"format\":\"byte\"}                   | binary",
        "{\"type\":\"string\",\"encoding\":\"base64\"}               | binary",
        "{\"type\":\"integer\"}                                      | long",
        "{\"type\":\"integer\",\"maximum\":100}                      | int",
        "{\"type\":\"integer\",\"maximum\":2147483647}               | int",
        "{\"type\":\"integer\",\"maximum\":2147483648}               | long",
        "{\"type\":\"integer\",\"exclusiveMaximum\":2147483648}      | int",
        "{\"type\":\"integer\",\"maximum\":2147483648,\"exclusiveMaximum\":true} | int",
        "{\"type\":\"integer\",\"maximum\":10,\"minimum\":-2147483649} | long",
        "{\"type\":\"number\"}                                       | double",
        "{\"type\":\"number\",\"multipleOf\":0.01}                   | decimal(38, 2)",
        "{\"type\":\"number\",\"multipleOf\":5}                      | decimal(38, 0)",
        "{\"type\":\"boolean\"}                                      | boolean",
        "{\"enum\":[\"a\",\"b\"]}                                    | string",
        "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}        | list<string>",
        "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"number\"}} | map<string, double>",
    })
    void mapsEachJsonSchemaTypeAsAwsDocuments(String schema, String icebergType) throws Exception {
        assertThat(typeOf(schema).toString()).isEqualTo(icebergType);
    }

    @Test
    void objectsBecomeStructsAndRequiredPropertiesBecomeNonNull() throws Exception {
        Schema schema = map("\"device\":{\"type\":\"object\",\"required\":[\"id\",\"maybe\"],\"properties\":{"
                + "\"id\":{\"type\":\"string\"},\"maybe\":{\"type\":[\"string\",\"null\"]},\"tag\":{\"type\":\"string\"}}}");
        Types.StructType device = schema.findField("device").type().asStructType();
        assertThat(device.field("id").isRequired()).isTrue();
        assertThat(device.field("maybe").isOptional()).as("a union with null stays nullable").isTrue();
        assertThat(device.field("tag").isOptional()).isTrue();
        assertThat(schema.findField("device").isOptional()).isTrue();
        assertThat(schema.columns()).extracting(Types.NestedField::name).containsExactly("ts", "device");
    }

    @Test
    void partitionColumnIsForcedRequiredAndPartitionedByHour() throws Exception {
        TableSchema mapped = JsonSchemaToIceberg.map("{\"$schema\":\"http://json-schema.org/draft-04/schema#\","
                + "\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"},"
                + "\"at\":{\"type\":\"string\",\"format\":\"date-time\"}}}", "at");
        assertThat(mapped.schema().findField("at").isRequired()).isTrue();
        assertThat(mapped.schema().findField("n").isOptional()).isTrue();
        PartitionField field = mapped.spec().fields().get(0);
        assertThat(mapped.spec().fields()).hasSize(1);
        assertThat(field.transform().toString()).isEqualTo("hour");
        assertThat(mapped.schema().findColumnName(field.sourceId())).isEqualTo("at");
    }

    @Test
    void localRefsAreInlined() throws Exception {
        TableSchema mapped = JsonSchemaToIceberg.map("""
                {"$schema": "http://json-schema.org/draft-07/schema#",
                 "definitions": {"point": {"type": "object", "properties": {"x": {"type": "number"}}},
                                 "time": {"type": "string", "format": "date-time"}},
                 "type": "object",
                 "properties": {"ts": {"$ref": "#/definitions/time"}, "p": {"$ref": "#/definitions/point"}}}
                """, "ts");
        assertThat(mapped.schema().findField("p").type().toString()).isEqualTo("struct<3: x: optional double>");
        assertThat(mapped.schema().findField("ts").type()).isEqualTo(Types.TimestampType.withZone());
    }

    @Test
    void nestingOfSixteenLevelsMapsAndSeventeenIsRejected() throws Exception {
        assertThat(typeOf(nested(16))).isNotNull();
        assertThatThrownBy(() -> typeOf(nested(17)))
                .isInstanceOf(SchemaMappingException.class)
                .hasMessageContaining("nesting deeper than 16");
        assertThatThrownBy(() -> typeOf("{\"type\":\"array\",\"items\":" + nested(16) + "}"))
                .as("lists count as a level too").hasMessageContaining("nesting deeper than 16");
    }

    /** {@code levels} nested objects, the innermost holding a string. */
    private static String nested(int levels) {
        String schema = "{\"type\":\"string\"}";
        for (int i = 0; i < levels; i++) {
            schema = "{\"type\":\"object\",\"properties\":{\"f\":" + schema + "}}";
        }
        return schema;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}  | schema at /properties/x: 'oneOf' cannot be mapped",
        "{\"anyOf\":[{\"type\":\"string\"}]}                          | 'anyOf' cannot be mapped",
        "{\"type\":[\"string\",\"integer\"]}                          | a union of types",
        "{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}       | tuples cannot be mapped",
        "{\"type\":\"array\"}                                         | an array needs one",
        "{\"type\":\"object\"}                                        | needs \"properties\" or an \"additionalProperties\"",
        "{\"$ref\":\"http://127.0.0.1:9/x.json\"}                     | only local $ref",
        "{\"$ref\":\"#/definitions/nowhere\"}                         | points nowhere",
        "{\"type\":\"null\"}                                          | no \"type\"",
        "{\"type\":\"char\"}                                          | unknown type 'char'",
        "{\"type\":\"number\",\"multipleOf\":0}                       | multipleOf must be a positive number",
    })
    void whatCannotBeMappedIsRejectedWithItsPath(String schema, String message) {
        assertThatThrownBy(() -> typeOf(schema)).isInstanceOf(SchemaMappingException.class)
                .hasMessageContaining(message);
    }

    @Test
    void recursiveRefsEndAtTheDepthLimit() {
        String schema = "{\"definitions\":{\"node\":{\"type\":\"object\",\"properties\":{\"next\":"
                + "{\"$ref\":\"#/definitions/node\"}}}},\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\","
                + "\"format\":\"date-time\"},\"head\":{\"$ref\":\"#/definitions/node\"}}}";
        assertThatThrownBy(() -> JsonSchemaToIceberg.map(schema, "ts")).isInstanceOf(SchemaMappingException.class)
                .hasMessageContaining("nesting deeper than 16");
    }

    @Test
    void partitionColumnMustExistAndBeADateTimeString() {
        assertThatThrownBy(() -> JsonSchemaToIceberg.map(
                "{\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\"}}}", "ts"))
                .isInstanceOf(SchemaMappingException.class).hasMessageContaining("must be a string with \"format\"");
        assertThatThrownBy(() -> JsonSchemaToIceberg.map(
                "{\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\",\"format\":\"date-time\"}}}", "at"))
                .hasMessageContaining("'at' is not a top-level property");
        assertThatThrownBy(() -> JsonSchemaToIceberg.map("{\"type\":\"object\",\"properties\":{\"o\":{\"type\":"
                + "\"object\",\"properties\":{\"ts\":{\"type\":\"string\",\"format\":\"date-time\"}}}}}", "ts"))
                .as("a nested column cannot partition").hasMessageContaining("not a top-level property");
    }

    @Test
    void documentsThatAreNoObjectSchemasOrOtherDraftsAreRejected() {
        assertThatThrownBy(() -> JsonSchemaToIceberg.map("{not json", "ts")).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> JsonSchemaToIceberg.map("[1]", "ts")).hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> JsonSchemaToIceberg.map("{\"type\":\"object\"}", "ts"))
                .hasMessageContaining("at least one property");
        assertThatThrownBy(() -> JsonSchemaToIceberg.map("{\"$schema\":\"https://json-schema.org/draft/2020-12/"
                + "schema\",\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\"}}}", "ts"))
                .hasMessageContaining("draft-04 and draft-07");
    }
}
