package dev.millrace.channels.delivery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An S3 channel's object key template ({@code OutputKeyTemplate}), parsed, validated and expanded as AWS documents it
 * (https://docs.aws.amazon.com/streams/latest/dev/data-delivery-s3-key-template.html; facts sheet §3.1).
 *
 * <p>A template is literal text and {@code !{name}} variables: {@code channel-name}, {@code channel-id},
 * {@code stream-name}, {@code yyyy}, {@code yy}, {@code MM}, {@code dd}, {@code HH}, {@code mm} (UTC, zero-padded),
 * {@code extension} (".gz" for GZIP, ".zst" for ZSTD, "" for NONE) and {@code extension:.literal}. The service always
 * adds a unique suffix of at most {@value #MAX_SUFFIX_CHARS} characters, so the expanded template may hold at most
 * {@value #MAX_EXPANDED_CHARS} characters.
 *
 * <p>Decisions where AWS is silent: the time variables use the arrival time of the object's first record (as
 * Firehose uses its oldest record's); the suffix goes just before the extension (or at the end when there is none), so
 * keys keep their extension; a literal extension is the whole extension (write {@code !{extension:.json.gz}} for
 * GZIP), and its shape is one or more dot-separated runs of lowercase letters. {@link #suffix} is deterministic, so a
 * retried delivery of the same batch writes the same key.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyTemplate {

    /** AWS's default template, used when the channel gives none. */
    public static final String DEFAULT = "kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/"
            + "!{channel-name}-!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}";

    /** S3's key limit, and the model's maximum template length. */
    public static final int MAX_KEY_CHARS = 1024;
    /** The unique suffix the service appends is at most this long. */
    public static final int MAX_SUFFIX_CHARS = 38;
    /** An expanded template (without the suffix) must fit in this many characters. */
    public static final int MAX_EXPANDED_CHARS = MAX_KEY_CHARS - MAX_SUFFIX_CHARS;

    private static final Set<String> VARIABLES =
            Set.of("channel-name", "channel-id", "stream-name", "yyyy", "yy", "MM", "dd", "HH", "mm", "extension");
    private static final String EXTENSION_LITERAL_PREFIX = "extension:";
    private static final Pattern LITERAL_EXTENSION = Pattern.compile("\\.[a-z]+(\\.[a-z]+)*");
    /** Stands in for the unique suffix where rule 2 is checked before one exists; suffixes start with '-'. */
    private static final String SAMPLE_SUFFIX = "-s";
    private static final Pattern LITERAL_CHAR = Pattern.compile("[0-9A-Za-z!\\-_'.*()/=]");

    /** One parsed piece: literal text, or a variable name (with extension:LITERAL kept whole). */
    private record Part(boolean variable, String text) {
    }

    private final String template;
    private final List<Part> parts;
    private final String extension;

    private KeyTemplate(String template, List<Part> parts, String extension) {
        this.template = template;
        this.parts = parts;
        this.extension = extension;
    }

    /**
     * What is wrong with {@code template} for a channel compressing with {@code compressionType} (NONE, GZIP or ZSTD),
     * as an AWS-style message, or empty when it is valid. A null template means "none given" (the default applies)
     * and is valid. This checks every rule that does not depend on the channel's names; {@link #problem(String,
     * String, String, String, String)} adds the checks on the expanded key.
     */
    public static Optional<String> problem(String template, String compressionType) {
        try {
            parse(template, compressionType);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * As {@link #problem(String, String)}, and also checks the key the template expands to with these names: at most
     * {@value #MAX_EXPANDED_CHARS} characters, and no "..", "." segment, leading "/" or "//" once names are in (a
     * channel named ".." is a legal name but makes such a key).
     */
    public static Optional<String> problem(String template, String compressionType, String channelName,
            String channelId, String streamName) {
        try {
            KeyTemplate parsed = parse(template, compressionType);
            parsed.expand(channelName, channelId, streamName, Instant.EPOCH, SAMPLE_SUFFIX);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Parses and validates a template (null means {@link #DEFAULT}).
     *
     * @throws IllegalArgumentException with an AWS-style message when a rule is broken
     */
    public static KeyTemplate parse(String template, String compressionType) {
        String text = template == null ? DEFAULT : template;
        String compressedExtension = compressedExtension(compressionType);
        if (text.isEmpty() || text.length() > MAX_KEY_CHARS) {
            throw invalid("must be 1 to " + MAX_KEY_CHARS + " characters long, got " + text.length());
        }
        List<Part> parts = split(text);
        int extensions = 0;
        String extension = "";
        for (int i = 0; i < parts.size(); i++) {
            Part part = parts.get(i);
            if (!part.variable() || !isExtension(part.text())) {
                continue;
            }
            extensions++;
            if (i != parts.size() - 1) {
                throw invalid("the extension placeholder !{" + part.text() + "} must be at the end of the template");
            }
            extension = part.text().equals("extension") ? compressedExtension : literalExtension(part.text());
        }
        if (extensions > 1) {
            throw invalid("may contain at most one extension placeholder, found " + extensions);
        }
        if (extensions == 0 && !compressedExtension.isEmpty()) {
            throw invalid("must end with !{extension} (or !{extension:.literal}) when CompressionType is "
                    + compressionType);
        }
        String skeleton = skeleton(parts);
        checkPaths(skeleton + SAMPLE_SUFFIX);
        int fixedChars = skeleton.length() - countNames(parts) + extension.length();
        if (fixedChars > MAX_EXPANDED_CHARS) {
            throw invalid("expands to more than " + MAX_EXPANDED_CHARS + " characters (" + MAX_KEY_CHARS
                    + " minus the " + MAX_SUFFIX_CHARS + "-character unique suffix)");
        }
        return new KeyTemplate(text, List.copyOf(parts), extension);
    }

    /** The template text this was parsed from. */
    public String template() {
        return template;
    }

    /** The extension this template's keys end with ("" when none). */
    public String extension() {
        return extension;
    }

    /**
     * The object key for a batch whose first record arrived at {@code firstArrival}: the template expanded (times in
     * UTC), then {@code suffix} just before the extension.
     *
     * @throws IllegalArgumentException when the suffix is longer than {@value #MAX_SUFFIX_CHARS} or the expanded key
     *     breaks a rule (see {@link #problem(String, String, String, String, String)}, which the control plane runs)
     */
    public String expand(String channelName, String channelId, String streamName, Instant firstArrival,
            String suffix) {
        if (suffix.length() > MAX_SUFFIX_CHARS) {
            throw new IllegalArgumentException("suffix longer than " + MAX_SUFFIX_CHARS + ": " + suffix);
        }
        String expanded = expandWithoutSuffix(channelName, channelId, streamName, firstArrival);
        if (expanded.length() > MAX_EXPANDED_CHARS) {
            throw invalid("expands to " + expanded.length() + " characters; at most " + MAX_EXPANDED_CHARS
                    + " are allowed (" + MAX_KEY_CHARS + " minus the " + MAX_SUFFIX_CHARS
                    + "-character unique suffix)");
        }
        String key = expanded.substring(0, expanded.length() - extension.length()) + suffix + extension;
        checkPaths(key);
        return key;
    }

    /**
     * The deterministic unique suffix for a batch: "-" + 8 hex digits of the channel id's SHA-256 + "-" + the shard
     * number in 12 digits + "-" + the first record's log position in base 36, 13 wide (36 characters). Two batches of
     * one channel differ in shard or first position, so their keys differ even when they fall in the same minute.
     */
    public static String suffix(String channelId, long shardNumber, long firstPosition) {
        if (shardNumber < 0 || shardNumber > 999_999_999_999L || firstPosition < 0) {
            throw new IllegalArgumentException("shard number or position out of range: " + shardNumber + ", "
                    + firstPosition);
        }
        String position = Long.toString(firstPosition, 36);
        return "-" + channelHash(channelId) + "-" + String.format(Locale.ROOT, "%012d", shardNumber) + "-"
                + "0".repeat(13 - position.length()) + position;
    }

    @Override
    public String toString() {
        return template;
    }

    private String expandWithoutSuffix(String channelName, String channelId, String streamName, Instant time) {
        ZonedDateTime utc = time.atZone(ZoneOffset.UTC);
        StringBuilder out = new StringBuilder();
        for (Part part : parts) {
            if (!part.variable()) {
                out.append(part.text());
                continue;
            }
            String name = part.text();
            switch (isExtension(name) ? "extension" : name) {
                case "channel-name" -> out.append(channelName);
                case "channel-id" -> out.append(channelId);
                case "stream-name" -> out.append(streamName);
                case "yyyy" -> out.append(String.format(Locale.ROOT, "%04d", utc.getYear()));
                case "yy" -> out.append(String.format(Locale.ROOT, "%02d", Math.floorMod(utc.getYear(), 100)));
                case "MM" -> out.append(twoDigits(utc.getMonthValue()));
                case "dd" -> out.append(twoDigits(utc.getDayOfMonth()));
                case "HH" -> out.append(twoDigits(utc.getHour()));
                case "mm" -> out.append(twoDigits(utc.getMinute()));
                case "extension" -> out.append(extension);
                default -> throw new IllegalStateException("parsed an unknown variable " + name);
            }
        }
        return out.toString();
    }

    private static String twoDigits(int value) {
        return value < 10 ? "0" + value : Integer.toString(value);
    }

    /** Rule 2, on a key (or skeleton) whose variables are already replaced and whose suffix is in. */
    private static void checkPaths(String text) {
        pathProblem(text).ifPresent(problem -> {
            throw invalid(problem);
        });
    }

    /**
     * What breaks rule 2 in a key or the start of one (a dead-letter prefix too: its keys start with it), e.g.
     * "must not contain '..'"; empty if nothing does. Such a key is no file under a bucket directory (local delivery
     * would fail on every attempt) and a trap for tools that treat keys as paths.
     */
    public static Optional<String> pathProblem(String text) {
        if (text.startsWith("/")) {
            return Optional.of("must not start with '/'");
        }
        if (text.contains("//")) {
            return Optional.of("must not contain '//'");
        }
        if (text.contains("..")) {
            return Optional.of("must not contain '..'");
        }
        for (String segment : text.split("/", -1)) {
            if (segment.equals(".")) {
                return Optional.of("must not contain a path segment that is only '.'");
            }
        }
        return Optional.empty();
    }

    /**
     * The template with every name variable as "x", every time variable at its width and the extension dropped: what
     * rule 2 is checked on (with a suffix) before names are known (a name is never empty and never holds '/').
     */
    private static String skeleton(List<Part> parts) {
        StringBuilder out = new StringBuilder();
        for (Part part : parts) {
            if (!part.variable()) {
                out.append(part.text());
            } else if (!isExtension(part.text())) {
                out.append(switch (part.text()) {
                    case "yyyy" -> "0000";
                    case "channel-name", "channel-id", "stream-name" -> "x";
                    default -> "00";
                });
            }
        }
        return out.toString();
    }

    /** Name variables count 1 in the skeleton; the length check must not count them, as they are checked later. */
    private static int countNames(List<Part> parts) {
        int count = 0;
        for (Part part : parts) {
            if (part.variable() && Set.of("channel-name", "channel-id", "stream-name").contains(part.text())) {
                count++;
            }
        }
        return count;
    }

    private static List<Part> split(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("!{", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw invalid("has an unclosed '!{' at index " + i);
                }
                String name = text.substring(i + 2, close);
                if (!VARIABLES.contains(name) && !name.startsWith(EXTENSION_LITERAL_PREFIX)) {
                    throw invalid("uses an unknown variable !{" + name + "}; the variables are !{channel-name}, "
                            + "!{channel-id}, !{stream-name}, !{yyyy}, !{yy}, !{MM}, !{dd}, !{HH}, !{mm}, "
                            + "!{extension} and !{extension:.literal}");
                }
                if (!literal.isEmpty()) {
                    parts.add(new Part(false, literal.toString()));
                    literal.setLength(0);
                }
                parts.add(new Part(true, name));
                i = close + 1;
                continue;
            }
            String ch = text.substring(i, i + 1);
            if (!LITERAL_CHAR.matcher(ch).matches()) {
                throw invalid("contains the character '" + ch + "' at index " + i + "; literal text may hold only "
                        + "letters, digits and ! - _ ' . * ( ) / =");
            }
            literal.append(ch);
            i++;
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(false, literal.toString()));
        }
        return parts;
    }

    private static boolean isExtension(String name) {
        return name.equals("extension") || name.startsWith(EXTENSION_LITERAL_PREFIX);
    }

    private static String literalExtension(String name) {
        String literal = name.substring(EXTENSION_LITERAL_PREFIX.length());
        if (!LITERAL_EXTENSION.matcher(literal).matches()) {
            throw invalid("has an invalid literal extension '" + literal + "' in !{" + name + "}: it must start "
                    + "with '.' and hold only lowercase letters and single dots, e.g. !{extension:.json.gz}");
        }
        return literal;
    }

    private static String compressedExtension(String compressionType) {
        if (compressionType == null) {
            throw new IllegalArgumentException("CompressionType is required (NONE, GZIP or ZSTD)");
        }
        return switch (compressionType) {
            case "NONE" -> "";
            case "GZIP" -> ".gz";
            case "ZSTD" -> ".zst";
            default -> throw new IllegalArgumentException(
                    "CompressionType must be one of NONE, GZIP, ZSTD, got " + compressionType);
        };
    }

    private static String channelHash(String channelId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(channelId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }

    private static IllegalArgumentException invalid(String what) {
        return new IllegalArgumentException("OutputKeyTemplate " + what + ".");
    }
}
