package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads any JSON value into plain Java objects (maps keep key order): Long (BigInteger if larger), BigDecimal, String,
 * Boolean, List, Map. Used for the API model, stored metadata and the DynamoDB subset's requests; the Kinesis request
 * path reads shape-driven instead ({@link RequestReader}).
 *
 * <p>Stateless, thread-safe.
 */
public final class JsonTree {
    private JsonTree() {
    }

    /** Reads the value at the parser's current token. */
    public static Object read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    map.put(name, read(p));
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(read(p));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue()
                        : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                // Exact, not double: DynamoDB numbers and anything else with more digits than a double keeps.
                return p.getDecimalValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            default:
                return null;
        }
    }
}
