package dev.millrace.lambda.invoke;

import java.util.Objects;

/**
 * The window fields of a tumbling-window invocation (TumblingWindowInSeconds &gt; 0).
 *
 * <p>Immutable, thread-safe.
 *
 * @param startMs          window start, epoch milliseconds (written at second precision, as Lambda does)
 * @param endMs            window end, epoch milliseconds
 * @param stateJson        the state the function returned last in this window, compact JSON object text as
 *                         {@link BatchResponse} gives it; {@code {}} for a window's first invocation. Written into the
 *                         event as is, so it must be one JSON object.
 * @param finalInvoke      {@code isFinalInvokeForWindow}
 * @param terminatedEarly  {@code isWindowTerminatedEarly}: the state outgrew its limit and the window ends here
 */
public record TumblingWindow(long startMs, long endMs, String stateJson, boolean finalInvoke,
                             boolean terminatedEarly) {
    public static final String EMPTY_STATE = "{}";

    public TumblingWindow {
        Objects.requireNonNull(stateJson, "stateJson");
        if (startMs < 0 || endMs < startMs) {
            throw new IllegalArgumentException("bad window [" + startMs + ", " + endMs + ")");
        }
    }
}
