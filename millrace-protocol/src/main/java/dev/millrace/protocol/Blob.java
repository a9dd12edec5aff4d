package dev.millrace.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * A blob member's bytes as {@link RequestReader} found them: {@code length} bytes of {@code array} from
 * {@code offset}. A CBOR request's byte strings are views into the request body itself, so a PutRecords call's record
 * data reaches the shard's batch without a byte array per record (issue 20: parse straight into the append buffer);
 * a JSON request's base64 text is decoded into an array of its own, which the blob then covers whole.
 *
 * <p>Immutable by convention: nobody writes to the array (the body is not reused once read). A view keeps the whole
 * body reachable, so what outlives the call takes {@link #toArray} (a copy unless the blob covers its array).
 * Thread-safe to read.
 */
public final class Blob {
    private final byte[] array;
    private final int offset;
    private final int length;

    /** The {@code length} bytes of {@code array} from {@code offset}, which must lie inside it. */
    public Blob(byte[] array, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, array.length);
        this.array = array;
        this.offset = offset;
        this.length = length;
    }

    /** All of {@code bytes}, not copied. */
    public static Blob of(byte[] bytes) {
        return new Blob(bytes, 0, bytes.length);
    }

    /** The array the bytes lie in (more than them when this is a view: read from {@link #offset} only). */
    public byte[] array() {
        return array;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    /** The bytes in an array of their own: the array itself when the blob covers all of it, else a copy. */
    public byte[] toArray() {
        return offset == 0 && length == array.length ? array : Arrays.copyOfRange(array, offset, offset + length);
    }

    @Override
    public String toString() {
        return "Blob[" + length + " bytes]";
    }
}
