package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;

import java.lang.reflect.Field;
import java.util.EmptyStackException;
import java.util.Stack;

/**
 * Takes the locks out of Jackson 2's CBOR parser. {@link CBORParser} keeps the state of CBOR's string references
 * (tag 256) in a {@link Stack}, every method of which is {@code synchronized}, and asks it whether it is empty at every
 * string and field name and at the end of every array and map: a lock taken and released thousands of times per
 * PutRecords call (6 % of a call's CPU in-process, docs/BENCHMARKS.md, issue 20), for a parser that only ever has one
 * thread. Jackson fixed it in 3.1 (jackson-dataformats-binary #742: an {@code ArrayDeque}); 2.x, which Millrace uses,
 * still has it. So each parser gets a {@link Stack} whose reads, the only calls made on the hot path, take no lock;
 * pushes and pops (only for string-reference namespaces, which AWS's SDKs never send) keep Vector's own.
 *
 * <p>If a Jackson version lays the parser out differently, the fields are not found and parsers stay as they are:
 * slower, never wrong (and {@code CborStringRefsTest} fails, so an upgrade notices). Thread-safe.
 */
final class CborStringRefs {
    /** {@code CBORParser._stringRefs} (protected) and the Stack inside it (private), or null if not found. */
    private static final Field HOLDER = field(CBORParser.class, "_stringRefs");
    private static final Field STACK = HOLDER == null ? null : field(HOLDER.getType(), "_stringRefs");

    private CborStringRefs() {
    }

    /** {@code parser} itself, its string-reference stack replaced if it is a CBOR parser; call before reading. */
    static JsonParser unlocked(JsonParser parser) {
        if (STACK != null && parser instanceof CBORParser) {
            try {
                Object holder = HOLDER.get(parser);
                if (holder != null && STACK.get(holder).getClass() == Stack.class) {
                    STACK.set(holder, new ReadsUnlocked<>());
                }
            } catch (IllegalAccessException | RuntimeException e) {
                // Not expected (setAccessible worked at class initialisation): the parser stays as it was.
            }
        }
        return parser;
    }

    /**
     * The CBOR parser's string-reference stack, empty while it is outside every string-reference namespace (a byte
     * string it has not read can then be skipped unread: {@link CborByteString}); null for another parser or when it
     * cannot tell (another Jackson layout). Looked up once per body; its {@code empty} takes no lock once
     * {@link #unlocked} replaced it.
     */
    static Stack<?> stack(JsonParser parser) {
        if (STACK == null || !(parser instanceof CBORParser)) {
            return null;
        }
        try {
            Object holder = HOLDER.get(parser);
            return holder == null ? null : (Stack<?>) STACK.get(holder);
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    /** Whether {@code parser} reads strings without taking a lock (for tests). */
    static boolean isUnlocked(JsonParser parser) throws IllegalAccessException {
        return STACK != null && STACK.get(HOLDER.get(parser)) instanceof ReadsUnlocked;
    }

    private static Field field(Class<?> owner, String name) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another Jackson layout (or a module boundary): parsers keep their synchronized stack
        }
    }

    /**
     * A Stack whose {@code empty} and {@code peek} read Vector's protected fields without its lock; one parser's
     * thread is its only user.
     */
    private static final class ReadsUnlocked<E> extends Stack<E> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean empty() {
            return elementCount == 0;
        }

        @Override
        @SuppressWarnings("unchecked")
        public E peek() {
            if (elementCount == 0) {
                throw new EmptyStackException();
            }
            return (E) elementData[elementCount - 1];
        }
    }
}
