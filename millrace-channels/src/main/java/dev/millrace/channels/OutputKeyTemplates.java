package dev.millrace.channels;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules of an S3 channel's OutputKeyTemplate, as AWS's developer guide lists them (object key template page):
 * only the documented {@code !{...}} variables; literal characters from {@code [0-9A-Za-z!-_'.*()/=]}; no {@code ..},
 * no {@code .} segment, no leading {@code /}, no {@code //}; at most one extension variable, at the end; one is
 * required with GZIP or ZSTD; at most 986 characters once expanded (AWS appends a suffix of up to 38 to 1024).
 *
 * <p>Stateless, thread-safe.
 */
final class OutputKeyTemplates {
    /** 1024, S3's key limit, less the unique suffix of up to 38 characters. */
    static final int MAX_EXPANDED_CHARS = 986;
    private static final Set<String> VARIABLES = Set.of("channel-name", "channel-id", "stream-name", "yyyy", "yy",
            "MM", "dd", "HH", "mm", "extension");
    private static final Pattern LITERAL_EXTENSION = Pattern.compile("\\.[a-z.]+");
    private static final Pattern LITERAL = Pattern.compile("[0-9A-Za-z!\\-_'.*()/=]");

    private OutputKeyTemplates() {
    }

    /** What is wrong with {@code template} for objects compressed with {@code compression}, or null. */
    static String problem(String template, String compression) {
        int extensions = 0;
        boolean endsWithExtension = false;
        for (int i = 0; i < template.length(); ) {
            if (template.startsWith("!{", i)) {
                int end = template.indexOf('}', i);
                if (end < 0) {
                    return "'!{' at position " + i + " has no matching '}'.";
                }
                String name = template.substring(i + 2, end);
                boolean extension = name.equals("extension") || name.startsWith("extension:");
                if (name.startsWith("extension:") && !LITERAL_EXTENSION.matcher(name.substring(10)).matches()) {
                    return "the literal extension in !{" + name + "} must start with '.' and hold only lowercase "
                            + "letters and dots.";
                }
                if (!extension && !VARIABLES.contains(name)) {
                    return "!{" + name + "} is not a template variable; use channel-name, channel-id, stream-name, "
                            + "yyyy, yy, MM, dd, HH, mm, extension or extension:.<literal>.";
                }
                extensions += extension ? 1 : 0;
                endsWithExtension = extension && end == template.length() - 1;
                i = end + 1;
                continue;
            }
            char c = template.charAt(i);
            if (!LITERAL.matcher(String.valueOf(c)).matches()) {
                return "the character '" + c + "' at position " + i + " is only allowed inside a !{...} variable.";
            }
            i++;
        }
        if (extensions > 1) {
            return "it may hold at most one extension variable.";
        }
        if (extensions == 1 && !endsWithExtension) {
            return "the extension variable must be at the end.";
        }
        if (extensions == 0 && !"NONE".equals(compression)) {
            return "with CompressionType " + compression + " it must end with !{extension} or "
                    + "!{extension:.<literal>}.";
        }
        return pathProblem(template);
    }

    /** Path rules, on a template or an expanded key. */
    static String pathProblem(String key) {
        if (key.startsWith("/")) {
            return "it must not start with '/'.";
        }
        if (key.contains("//")) {
            return "it must not contain '//'.";
        }
        for (String segment : key.split("/", -1)) {
            if (segment.equals(".") || segment.contains("..")) {
                return "it must not contain '..' or a '.' path segment.";
            }
        }
        return null;
    }

    /** The longest key the template expands to for this channel, suffix excluded: names as they are, times full. */
    static String expandLongest(String template, String channelName, String channelId, String streamName,
                                String compression) {
        String ext = switch (compression) {
            case "GZIP" -> ".gz";
            case "ZSTD" -> ".zst";
            default -> "";
        };
        String out = template.replace("!{channel-name}", channelName).replace("!{channel-id}", channelId)
                .replace("!{stream-name}", streamName).replace("!{yyyy}", "2026").replace("!{yy}", "26")
                .replace("!{MM}", "12").replace("!{dd}", "31").replace("!{HH}", "23").replace("!{mm}", "59")
                .replace("!{extension}", ext);
        int at = out.indexOf("!{extension:");
        if (at >= 0) {
            out = out.substring(0, at) + out.substring(at + "!{extension:".length(), out.length() - 1);
        }
        return out;
    }
}
