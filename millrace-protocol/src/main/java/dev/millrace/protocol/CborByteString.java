package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParser;

import java.io.IOException;
import java.util.Stack;

/**
 * A CBOR byte string as a view into the request body instead of a copy ({@link Blob}): a PutRecords call of 500
 * records otherwise copies each record's data into an array of its own, only for the append to copy it again into
 * the shard's batch (issue 20).
 *
 * <p>Jackson's CBOR parser reads a byte string lazily: when it returns the token it has read the string's first byte
 * (major type 2 and the length's low bits) and nothing else, and its next {@code nextToken} skips the bytes unread.
 * So the view is where the parser stands: that first byte is just behind it; the length follows it (RFC 8949 §3:
 * in the low bits below 24, else in the next 1, 2, 4 or 8 bytes) and then the bytes. Anything else gets no view and
 * is read by Jackson as before: an indefinite-length (chunked) string, a tagged one (the token started before that
 * byte), one inside a string-reference namespace (the parser must read it to remember it), or a length that runs
 * past the body (Jackson then refuses the body).
 *
 * <p>Stateless, thread-safe.
 */
final class CborByteString {
    private static final int MAJOR_TYPE_BYTES = 2;

    private CborByteString() {
    }

    /**
     * A view of the byte string the parser's current token is, or null if Jackson must read it; {@code stringRefs} is
     * the parser's string-reference stack ({@link CborStringRefs#stack}), null if unknown.
     */
    static Blob view(JsonParser p, byte[] body, Stack<?> stringRefs) throws IOException {
        if (stringRefs == null || !stringRefs.empty()) {
            return null;
        }
        long typeAt = p.currentLocation().getByteOffset() - 1;
        if (typeAt < 0 || typeAt >= body.length || typeAt != p.currentTokenLocation().getByteOffset()) {
            return null;
        }
        int initial = body[(int) typeAt] & 0xFF;
        if (initial >>> 5 != MAJOR_TYPE_BYTES) {
            return null;
        }
        int lowBits = initial & 0x1F;
        int at = (int) typeAt + 1;
        long length;
        if (lowBits < 24) {
            length = lowBits;
        } else if (lowBits <= 27) {
            int lengthBytes = 1 << (lowBits - 24);
            if (lengthBytes > body.length - at) {
                return null;
            }
            length = 0;
            for (int i = 0; i < lengthBytes; i++) {
                length = (length << 8) | (body[at + i] & 0xFF);
            }
            at += lengthBytes;
        } else {
            return null; // 31: indefinite length; 28..30 are not well-formed
        }
        if (length < 0 || length > body.length - at) {
            return null;
        }
        return new Blob(body, at, (int) length);
    }
}
