package dev.millrace.auth.policy;

/**
 * One IAM glob: {@code *} is any run of characters (also none, also across {@code :} and {@code /}), {@code ?} any
 * one character, everything else itself. Compiled once when a policy is parsed; matching compiles nothing and
 * allocates nothing, because the server matches on every request. The common shapes (everything, a literal, a
 * prefix) skip the general matcher.
 *
 * <p>Immutable, thread-safe.
 */
public final class WildcardPattern {
    private enum Shape { ANY, LITERAL, PREFIX, GENERAL }

    private final String pattern;
    private final boolean ignoreCase;
    private final Shape shape;
    /** For PREFIX: the text before the single trailing {@code *}. */
    private final String prefix;

    private WildcardPattern(String pattern, boolean ignoreCase) {
        this.pattern = pattern;
        this.ignoreCase = ignoreCase;
        int star = pattern.indexOf('*');
        boolean question = pattern.indexOf('?') >= 0;
        if (pattern.equals("*")) {
            shape = Shape.ANY;
            prefix = null;
        } else if (star < 0 && !question) {
            shape = Shape.LITERAL;
            prefix = null;
        } else if (!question && star == pattern.length() - 1) {
            shape = Shape.PREFIX;
            prefix = pattern.substring(0, star);
        } else {
            shape = Shape.GENERAL;
            prefix = null;
        }
    }

    /** Case-sensitive, as IAM matches resources and ARNs. */
    public static WildcardPattern caseSensitive(String pattern) {
        return new WildcardPattern(pattern, false);
    }

    /** Case-insensitive, as IAM matches action names and {@code StringLike} does not (it is case-sensitive). */
    public static WildcardPattern ignoringCase(String pattern) {
        return new WildcardPattern(pattern, true);
    }

    public String pattern() {
        return pattern;
    }

    public boolean matches(String text) {
        switch (shape) {
            case ANY:
                return true;
            case LITERAL:
                return ignoreCase ? pattern.equalsIgnoreCase(text) : pattern.equals(text);
            case PREFIX:
                return text.regionMatches(ignoreCase, 0, prefix, 0, prefix.length());
            default:
                return matchesGeneral(text);
        }
    }

    /**
     * The classic linear-backtracking glob: on a mismatch, go back to the last {@code *} and let it eat one more
     * character. At most O(pattern x text) steps, no recursion, so a hostile pattern cannot blow the stack.
     */
    private boolean matchesGeneral(String text) {
        int p = 0;
        int t = 0;
        int starAt = -1;
        int resumeText = 0;
        int patternLength = pattern.length();
        int textLength = text.length();
        while (t < textLength) {
            if (p < patternLength && pattern.charAt(p) == '*') {
                starAt = p++;
                resumeText = t;
            } else if (p < patternLength && (pattern.charAt(p) == '?' || same(pattern.charAt(p), text.charAt(t)))) {
                p++;
                t++;
            } else if (starAt >= 0) {
                p = starAt + 1;
                t = ++resumeText;
            } else {
                return false;
            }
        }
        while (p < patternLength && pattern.charAt(p) == '*') {
            p++;
        }
        return p == patternLength;
    }

    private boolean same(char a, char b) {
        if (a == b) {
            return true;
        }
        return ignoreCase && (Character.toLowerCase(a) == Character.toLowerCase(b)
                || Character.toUpperCase(a) == Character.toUpperCase(b));
    }

    @Override
    public String toString() {
        return pattern;
    }
}
