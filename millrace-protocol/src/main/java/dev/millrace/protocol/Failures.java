package dev.millrace.protocol;

/**
 * One log line for a request that failed with an unexpected {@link Throwable}. A handler's catch-all must answer the
 * request (AWS's InternalFailure-class error) and leave one line in the log: a StackOverflowError's trace alone is
 * about a thousand lines, and a client that can provoke one on every request could otherwise fill the disk with
 * them. The first few frames are enough to find the code; the cause chain is summarised the same way.
 *
 * <p>Stateless, thread-safe.
 */
public final class Failures {
    /** Frames of each throwable kept in the line: enough to name the method that failed and its callers. */
    static final int FRAMES = 6;
    /** Causes followed: a chain of wrappers rarely adds anything after the root. */
    private static final int CAUSES = 3;

    private Failures() {
    }

    /**
     * {@code t} in one line: {@code class: message at frame <- frame <- ... (+N more)}, then {@code; caused by ...}
     * for up to three causes. Never throws, even for a throwable whose {@code toString} does.
     */
    public static String brief(Throwable t) {
        StringBuilder line = new StringBuilder(512);
        Throwable current = t;
        for (int depth = 0; current != null && depth <= CAUSES; depth++) {
            if (depth > 0) {
                line.append("; caused by ");
            }
            describe(line, current);
            current = current.getCause() == current ? null : current.getCause();
        }
        return line.toString();
    }

    private static void describe(StringBuilder line, Throwable t) {
        String text;
        try {
            text = String.valueOf(t);
        } catch (RuntimeException | StackOverflowError e) {
            text = t.getClass().getName();
        }
        line.append(oneLine(text));
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < Math.min(FRAMES, frames.length); i++) {
            line.append(i == 0 ? " at " : " <- ").append(frames[i]);
        }
        if (frames.length > FRAMES) {
            line.append(" (+").append(frames.length - FRAMES).append(" more)");
        }
    }

    /** Messages may carry client input: no line breaks, and a bounded length. */
    private static String oneLine(String text) {
        String flat = text.replace('\r', ' ').replace('\n', ' ');
        return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
    }
}
