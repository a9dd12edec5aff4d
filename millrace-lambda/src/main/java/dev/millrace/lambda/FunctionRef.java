package dev.millrace.lambda;

import dev.millrace.protocol.Account;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A FunctionName in any of the forms Lambda accepts (facts §1.1): {@code MyFunction}, {@code MyFunction:PROD},
 * {@code 123456789012:function:MyFunction[:QUALIFIER]}, {@code us-east-1:123456789012:function:MyFunction} and
 * {@code arn:aws:lambda:us-east-1:123456789012:function:MyFunction[:QUALIFIER]}; the region and account, when given,
 * must be the ones served, or the function does not exist here. Immutable, thread-safe.
 *
 * @param qualifier {@code $LATEST}, a version or an alias, or null
 */
record FunctionRef(String name, String qualifier) {
    private static final String REGION = "(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d";
    /** The model's NamespacedFunctionName pattern, as its messages quote it. */
    static final String MODEL_PATTERN = "(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+"
            + "-\\d{1}:\\d{12}:|(((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?))(function:)?"
            + "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?";
    /** The same, with the parts named: partition, region, account, name, qualifier. */
    private static final Pattern FORM = Pattern.compile("(?:arn:(?<partition>aws[a-zA-Z-]*)?:lambda:(?<arnRegion>"
            + REGION + "):(?<arnAccount>\\d{12}):|(?:(?<region>" + REGION + "):)?(?:(?<account>\\d{12}):)?)"
            + "(?:function:)?(?<name>[a-zA-Z0-9-_.]+)(?::(?<qualifier>\\$LATEST(?:\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?");
    static final int MAX_CHARS = 256;

    /**
     * The function {@code given} names in {@code account}'s region, or null when it names one of another account,
     * region or partition (which does not exist here), or is not of the model's form (pattern, at most 256 characters).
     */
    static FunctionRef resolve(String given, Account account) {
        Matcher m = FORM.matcher(given);
        if (given.length() > MAX_CHARS || !m.matches()) {
            return null;
        }
        String partition = m.group("arnRegion") != null ? m.group("partition") : null;
        String region = m.group("arnRegion") != null ? m.group("arnRegion") : m.group("region");
        String accountId = m.group("arnAccount") != null ? m.group("arnAccount") : m.group("account");
        if (m.group("arnRegion") != null && !account.partition().equals(partition)) {
            return null;
        }
        if ((region != null && !region.equals(account.region())) || (accountId != null
                && !accountId.equals(account.id()))) {
            return null;
        }
        return new FunctionRef(m.group("name"), m.group("qualifier"));
    }

    /** The function of a FunctionArn this API wrote. */
    static FunctionRef ofArn(String functionArn) {
        String rest = functionArn.substring(functionArn.indexOf(":function:") + ":function:".length());
        int colon = rest.indexOf(':');
        return colon < 0 ? new FunctionRef(rest, null) : new FunctionRef(rest.substring(0, colon),
                rest.substring(colon + 1));
    }

    /** {@code arn:<partition>:lambda:<region>:<account>:function:NAME[:QUALIFIER]}, as AWS echoes it. */
    String arn(Account account) {
        return "arn:" + account.partition() + ":lambda:" + account.region() + ":" + account.id() + ":function:" + name
                + (qualifier == null ? "" : ":" + qualifier);
    }
}
