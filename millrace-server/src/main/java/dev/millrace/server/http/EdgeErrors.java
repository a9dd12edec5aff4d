package dev.millrace.server.http;

import dev.millrace.server.api.KinesisApi;

import java.nio.charset.StandardCharsets;

/**
 * The two error layouts AWS's front end answers with before a request reaches Kinesis proper (recorded from AWS by
 * kinesalite's conformance tests). Errors from Kinesis itself are {@code {"__type","message"}} in the request's JSON
 * or CBOR ({@link KinesisApi#error}).
 * <pre>
 *   XML, no Content-Type (wrong method, or a body in no Kinesis content type):
 *     &lt;AccessDeniedException&gt;\n
 *       &lt;Message&gt;Unable to determine service/operation name to be authorized&lt;/Message&gt;\n
 *     &lt;/AccessDeniedException&gt;\n
 *   or, without a message:
 *     &lt;UnknownOperationException/&gt;\n
 *   Coral JSON 1.0, Content-Type application/json (a body sent as application/json):
 *     {"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}
 * </pre>
 * The message is indented by two spaces; every line ends with a newline.
 *
 * <p>Stateless, thread-safe.
 */
final class EdgeErrors {
    static final String CORAL_CONTENT_TYPE = "application/json";
    private static final String CORAL_NAMESPACE = "com.amazon.coral.service#";

    private EdgeErrors() {
    }

    /** An XML error with a message; AWS sends these without a Content-Type. */
    static KinesisApi.Result xml(int httpStatus, String type, String message) {
        String body = "<" + type + ">\n  <Message>" + escape(message) + "</Message>\n</" + type + ">\n";
        return new KinesisApi.Result(httpStatus, body.getBytes(StandardCharsets.UTF_8), type);
    }

    /** An XML error without a message. */
    static KinesisApi.Result xml(int httpStatus, String type) {
        return new KinesisApi.Result(httpStatus, ("<" + type + "/>\n").getBytes(StandardCharsets.UTF_8), type);
    }

    /** A Coral JSON 1.0 error, sent with {@link #CORAL_CONTENT_TYPE}. */
    static KinesisApi.Result coral(int httpStatus, String type) {
        String body = "{\"Output\":{\"__type\":\"" + CORAL_NAMESPACE + type + "\"},\"Version\":\"1.0\"}";
        return new KinesisApi.Result(httpStatus, body.getBytes(StandardCharsets.UTF_8), type);
    }

    /** Messages may quote what the client sent (its Authorization header), so markup in them is escaped. */
    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
