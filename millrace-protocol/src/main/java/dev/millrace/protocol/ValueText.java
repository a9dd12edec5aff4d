package dev.millrace.protocol;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * How AWS prints a rejected value in a validation message: the {@code toString} of the value in its Java service
 * model, which is
 * <ul>
 *   <li>a string or number as is;</li>
 *   <li>a blob as its {@code java.nio.HeapByteBuffer[pos=0 lim=N cap=N]};</li>
 *   <li>a list as {@code [a, b]}, a map as {@code {k=v, k2=v2}};</li>
 *   <li>a structure as {@code Object.toString}:
 *       {@code com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310},
 *       its hash computed as the generated model classes do: {@code Arrays.hashCode} of the hash of the class name
 *       followed by the members in model order, each hashed as its Java value (String, Integer, Long, Boolean,
 *       ByteBuffer, Date, List, Map). The hash recorded for {@code {"PartitionKey":"","Data":""}} is c965e310,
 *       which this reproduces.</li>
 * </ul>
 *
 * <p>Stateless, thread-safe.
 */
final class ValueText {
    private static final String MODEL_PACKAGE = "com.amazonaws.kinesis.v20131202.";

    private ValueText() {
    }

    static String of(ApiModel model, Object value) {
        StringBuilder b = new StringBuilder();
        append(model, b, value);
        return b.toString();
    }

    private static void append(ApiModel model, StringBuilder b, Object value) {
        if (value instanceof Blob blob) {
            b.append("java.nio.HeapByteBuffer[pos=0 lim=").append(blob.length()).append(" cap=").append(blob.length())
                    .append(']');
        } else if (value instanceof Struct struct) {
            b.append(MODEL_PACKAGE).append(struct.shape().name()).append('@')
                    .append(Integer.toHexString(hash(model, struct.shape(), struct)));
        } else if (value instanceof List<?> list) {
            b.append('[');
            for (int i = 0; i < list.size(); i++) {
                b.append(i == 0 ? "" : ", ");
                append(model, b, list.get(i));
            }
            b.append(']');
        } else if (value instanceof Map<?, ?> map) {
            b.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                b.append(sep).append(e.getKey()).append('=');
                append(model, b, e.getValue());
                sep = ", ";
            }
            b.append('}');
        } else {
            b.append(value);
        }
    }

    /** The Java {@code hashCode} of a value of the given shape in AWS's model classes. */
    private static int hash(ApiModel model, Shape shape, Object value) {
        if (value == null) {
            return 0;
        }
        switch (shape.type()) {
            case STRUCTURE: {
                Struct struct = (Struct) value;
                int classHash = 31 + (MODEL_PACKAGE + shape.name()).hashCode(); // Arrays.hashCode({className})
                int h = 31 + classHash; // then Arrays.hashCode({classHash, member1, member2, ...})
                for (Map.Entry<String, String> member : shape.members().entrySet()) {
                    h = 31 * h + hash(model, model.shape(member.getValue()), struct.member(member.getKey()));
                }
                return h;
            }
            case LIST: {
                Shape element = model.shape(shape.member());
                int h = 1;
                for (Object item : (List<?>) value) {
                    h = 31 * h + hash(model, element, item);
                }
                return h;
            }
            case MAP: {
                Shape valueShape = model.shape(shape.value());
                int h = 0;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    h += e.getKey().hashCode() ^ hash(model, valueShape, e.getValue());
                }
                return h;
            }
            case INTEGER:
                return Integer.hashCode(((Long) value).intValue());
            case BLOB:
                Blob blob = (Blob) value;
                return ByteBuffer.wrap(blob.array(), blob.offset(), blob.length()).hashCode();
            case TIMESTAMP:
                return Long.hashCode(((Instant) value).toEpochMilli()); // java.util.Date's hash
            default:
                return value.hashCode(); // String, Long and Boolean hash as in Java
        }
    }
}
