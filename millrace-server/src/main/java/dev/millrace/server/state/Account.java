package dev.millrace.server.state;

/**
 * The account and region this node pretends to be, for ARNs and messages.
 *
 * <p>Immutable, thread-safe.
 */
public record Account(String region, String id) {
    public static final Account DEFAULT = new Account("us-east-1", "000000000000");

    public String streamArn(String streamName) {
        return "arn:aws:kinesis:" + region + ":" + id + ":stream/" + streamName;
    }

    /** The stream name in a stream (or consumer) ARN of this account and region, or {@code null} if it is not one. */
    public String streamNameOf(String arn) {
        String prefix = ":kinesis:" + region + ":" + id + ":stream/";
        int at = arn.indexOf(prefix);
        if (!arn.startsWith("arn:aws") || at < 0) {
            return null;
        }
        String rest = arn.substring(at + prefix.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }
}
