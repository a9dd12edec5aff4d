package dev.millrace.cloudwatch;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes AWS query protocol answers: XML in CloudWatch's namespace, lists as {@code member} elements.
 * <pre>
 *   &lt;NAMEResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"&gt;
 *     &lt;NAMEResult&gt; output members &lt;/NAMEResult&gt;        (omitted when the output is empty)
 *     &lt;ResponseMetadata&gt;&lt;RequestId&gt;ID&lt;/RequestId&gt;&lt;/ResponseMetadata&gt;
 *   &lt;/NAMEResponse&gt;
 *   &lt;ErrorResponse xmlns="..."&gt;&lt;Error&gt;&lt;Type&gt;Sender&lt;/Type&gt;&lt;Code&gt;CODE&lt;/Code&gt;
 *     &lt;Message&gt;TEXT&lt;/Message&gt;&lt;/Error&gt;&lt;RequestId&gt;ID&lt;/RequestId&gt;&lt;/ErrorResponse&gt;
 * </pre>
 *
 * <p>Stateless, thread-safe.
 */
final class QueryXml {
    private QueryXml() {
    }

    static byte[] response(String operation, Map<String, Object> output, String requestId) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append('<').append(operation).append("Response xmlns=\"").append(CloudWatchApi.QUERY_XMLNS).append("\">");
        if (!output.isEmpty()) {
            b.append('<').append(operation).append("Result>");
            writeMembers(b, output);
            b.append("</").append(operation).append("Result>");
        }
        b.append("<ResponseMetadata><RequestId>").append(escape(requestId)).append("</RequestId></ResponseMetadata>");
        b.append("</").append(operation).append("Response>");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] error(CloudWatchException e, String requestId) {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"" + CloudWatchApi.QUERY_XMLNS
                + "\"><Error><Type>" + e.fault() + "</Type><Code>" + e.queryCode() + "</Code><Message>"
                + escape(e.getMessage()) + "</Message></Error><RequestId>" + escape(requestId)
                + "</RequestId></ErrorResponse>";
        return xml.getBytes(StandardCharsets.UTF_8);
    }

    private static void writeMembers(StringBuilder b, Map<?, ?> struct) {
        for (Map.Entry<?, ?> e : struct.entrySet()) {
            b.append('<').append(e.getKey()).append('>');
            writeValue(b, e.getValue());
            b.append("</").append(e.getKey()).append('>');
        }
    }

    private static void writeValue(StringBuilder b, Object value) {
        if (value instanceof Map) {
            writeMembers(b, (Map<?, ?>) value);
        } else if (value instanceof Iterable) {
            for (Object item : (Iterable<?>) value) {
                b.append("<member>");
                writeValue(b, item);
                b.append("</member>");
            }
        } else {
            b.append(escape(String.valueOf(value)));
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '&': b.append("&amp;"); break;
                case '"': b.append("&quot;"); break;
                case '\'': b.append("&apos;"); break;
                default:
                    // XML 1.0 cannot carry most control characters; CloudWatch names never need them.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        b.append("&#xFFFD;");
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.toString();
    }
}
