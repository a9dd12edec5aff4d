package dev.millrace.protocol;

import java.util.regex.Pattern;

/**
 * One account in one region, as a request's signature names it: ARNs and messages carry both, and each region's
 * streams are apart from every other region's, as on AWS.
 *
 * <p>Immutable, thread-safe.
 */
public record Account(String region, String id) {
    // Before DEFAULT: static fields initialise in order, and DEFAULT is checked against them.
    /** AWS's region names: {@code us-east-1}, {@code ap-southeast-5}, {@code us-gov-west-1}, {@code eusc-de-east-1}. */
    private static final Pattern REGION = Pattern.compile("[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}");
    private static final Pattern ACCOUNT_ID = Pattern.compile("[0-9]{12}");
    /** The region of everything stored before regions were kept apart, and of requests that name none. */
    public static final String LEGACY_REGION = "us-east-1";
    public static final String DEFAULT_ID = "000000000000";
    public static final Account DEFAULT = new Account(LEGACY_REGION, DEFAULT_ID);

    public Account {
        if (!isRegion(region)) {
            throw new IllegalArgumentException("not an AWS region name: " + region);
        }
        if (!ACCOUNT_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("an account id is 12 digits, not " + id);
        }
    }

    public static boolean isRegion(String name) {
        return name != null && REGION.matcher(name).matches();
    }

    /** The same account in another region. */
    public Account in(String otherRegion) {
        return otherRegion.equals(region) ? this : new Account(otherRegion, id);
    }

    /** The ARN partition of the region: {@code aws}, {@code aws-cn} or {@code aws-us-gov}. */
    public String partition() {
        if (region.startsWith("cn-")) {
            return "aws-cn";
        }
        return region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    }

    public String streamArn(String streamName) {
        return "arn:" + partition() + ":kinesis:" + region + ":" + id + ":stream/" + streamName;
    }

    /** The stream name in a stream (or consumer) ARN of this account and region, or {@code null} if it is not one. */
    public String streamNameOf(String arn) {
        String prefix = "arn:" + partition() + ":kinesis:" + region + ":" + id + ":stream/";
        if (!arn.startsWith(prefix)) {
            return null;
        }
        String rest = arn.substring(prefix.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }
}
