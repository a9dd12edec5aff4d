package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which attributes a read returns: a ProjectionExpression (with ExpressionAttributeNames) or the legacy
 * AttributesToGet; all of them when neither is given.
 *
 * <p>Immutable, thread-safe.
 */
final class Projection {
    static final Projection ALL = new Projection(null);

    private final List<DocumentPath> paths;

    private Projection(List<DocumentPath> paths) {
        this.paths = paths;
    }

    static Projection of(Request r) {
        String expression = r.string("ProjectionExpression");
        List<Object> attributesToGet = r.list("AttributesToGet");
        if (expression != null && !attributesToGet.isEmpty()) {
            throw DynamoException.validation("Can not use both expression and non-expression parameters in the same "
                    + "request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                    + "{ProjectionExpression}");
        }
        if (expression != null) {
            return new Projection(ExpressionParser.projection(expression, r.expressionContext()));
        }
        if (!attributesToGet.isEmpty()) {
            List<DocumentPath> paths = new ArrayList<>();
            attributesToGet.forEach(a -> paths.add(DocumentPath.of((String) a)));
            return new Projection(paths);
        }
        return ALL;
    }

    boolean isAll() {
        return paths == null;
    }

    Map<String, AttributeValue> apply(Map<String, AttributeValue> item) {
        if (paths == null) {
            return item;
        }
        Map<String, AttributeValue> out = new LinkedHashMap<>();
        for (DocumentPath p : paths) {
            p.project(item, out);
        }
        return out;
    }
}
