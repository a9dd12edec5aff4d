package dev.millrace.iceberg;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An S3 Tables table bucket ARN, {@code arn:PARTITION:s3tables:REGION:ACCOUNT:bucket/NAME}, with the Kinesis model's
 * pattern for TableBucketARN. Immutable.
 *
 * @param arn       the whole ARN, as given
 * @param region    its region
 * @param accountId its 12-digit account
 * @param name      the bucket name, 3-63 of {@code [a-z0-9_-]}
 */
public record TableBucketArn(String arn, String region, String accountId, String name) {

    private static final Pattern PATTERN =
            Pattern.compile("arn:aws[-a-z0-9]*:s3tables:([-a-z0-9]+):(\\d{12}):bucket/([a-z0-9_-]{3,63})");

    /** Parses {@code arn}; IllegalArgumentException when it is not a table bucket ARN. */
    public static TableBucketArn parse(String arn) {
        Matcher m = PATTERN.matcher(arn);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a table bucket ARN: " + arn);
        }
        return new TableBucketArn(arn, m.group(1), m.group(2), m.group(3));
    }
}
