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
    /** A stream name, as the API model defines it. */
    private static final Pattern STREAM_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
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

    /** Longer than any AWS region name (14 in 2026); shard iterators have room for this much. */
    public static final int MAX_REGION_CHARS = 20;

    public static boolean isRegion(String name) {
        return name != null && name.length() <= MAX_REGION_CHARS && REGION.matcher(name).matches();
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

    /**
     * The stream name of a stream ARN of this account, region and partition, or {@code null} if it is not exactly
     * one: everything after {@code stream/} must be a stream name, so an ARN that merely starts with one of ours
     * ({@code .../stream/orders/arn:aws:kinesis:...}) or embeds one after another account's prefix names no local
     * stream. A consumer ARN's stream part is the text before {@code /consumer/}, which its parser passes here.
     */
    public String streamNameOf(String arn) {
        String prefix = "arn:" + partition() + ":kinesis:" + region + ":" + id + ":stream/";
        if (arn == null || !arn.startsWith(prefix)) {
            return null;
        }
        String name = arn.substring(prefix.length());
        return STREAM_NAME.matcher(name).matches() ? name : null;
    }
}
