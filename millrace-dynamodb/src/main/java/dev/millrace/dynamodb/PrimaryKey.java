package dev.millrace.dynamodb;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;

/**
 * A table's primary key value: the hash key and, for composite keys, the range key. Ordered by hash key (numbers
 * numerically, strings and binaries by unsigned bytes), then range key, so a Query over one hash key walks its items
 * in sort-key order. {@link #encode} is the key's unique, printable form inside metadata keys: numbers are
 * normalised (so {@code 1} and {@code 1.0} are one key), then every value is URL-encoded, which leaves no '/'.
 *
 * <p>Immutable, thread-safe.
 */
record PrimaryKey(AttributeValue hash, AttributeValue range) implements Comparable<PrimaryKey> {
    private static final Comparator<AttributeValue> VALUES = AttributeValue::compareScalars;

    @Override
    public int compareTo(PrimaryKey o) {
        int c = VALUES.compare(hash, o.hash);
        if (c != 0 || range == null || o.range == null) {
            return c;
        }
        return VALUES.compare(range, o.range);
    }

    String encode() {
        return encode(hash) + (range == null ? "" : "/" + encode(range));
    }

    /** The stable text of the hash key, used to spread items over parallel scan segments. */
    String hashText() {
        return encode(hash);
    }

    /**
     * The key {@link #encode} made {@code encoded} of: the metadata change feed names a deleted item by it alone.
     *
     * @throws IllegalArgumentException if it is not such a text
     */
    static PrimaryKey decode(String encoded) {
        int slash = encoded.indexOf('/');
        if (slash < 0) {
            return new PrimaryKey(decodeValue(encoded), null);
        }
        return new PrimaryKey(decodeValue(encoded.substring(0, slash)), decodeValue(encoded.substring(slash + 1)));
    }

    private static AttributeValue decodeValue(String encoded) {
        if (encoded.isEmpty()) {
            throw new IllegalArgumentException("not an encoded key value: empty");
        }
        String text = URLDecoder.decode(encoded.substring(1), StandardCharsets.UTF_8);
        switch (encoded.charAt(0)) {
            case 'N': return AttributeValue.n(text);
            case 'B': return AttributeValue.b(Base64.getDecoder().decode(text));
            case 'S': return AttributeValue.s(text);
            default: throw new IllegalArgumentException("not an encoded key value: " + encoded);
        }
    }

    private static String encode(AttributeValue v) {
        String text;
        switch (v.type()) {
            case N: text = AttributeValue.canonical(v.numeric()); break;
            case B: text = Base64.getEncoder().encodeToString(v.bytesNoCopy()); break;
            default: text = v.s();
        }
        return v.type().name() + URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
