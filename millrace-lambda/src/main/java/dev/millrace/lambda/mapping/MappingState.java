package dev.millrace.lambda.mapping;

/**
 * The State of an event source mapping, as Lambda names it ("Creating, Enabling, Enabled, Disabling, Disabled,
 * Updating, or Deleting"). A user's call moves a mapping into one of the transient states; the processing engine
 * moves it on ({@link MappingStore#settle}) once it has started or stopped the mapping's work.
 *
 * <p>Immutable, thread-safe.
 */
public enum MappingState {
    CREATING("Creating"),
    ENABLING("Enabling"),
    ENABLED("Enabled"),
    DISABLING("Disabling"),
    DISABLED("Disabled"),
    UPDATING("Updating"),
    DELETING("Deleting");

    private final String text;

    MappingState(String text) {
        this.text = text;
    }

    /** The State member's value. */
    public String text() {
        return text;
    }

    public static MappingState ofText(String text) {
        for (MappingState s : values()) {
            if (s.text.equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("not a mapping state: " + text);
    }

    /** Whether the engine has acted on the mapping's last change (Enabled or Disabled). */
    public boolean settled() {
        return this == ENABLED || this == DISABLED;
    }
}
