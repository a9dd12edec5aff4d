package dev.millrace.lambda.invoke;

import java.util.Objects;

/**
 * What every record of one mapping's batches from one shard carries besides its own fields.
 *
 * <p>{@code invokeIdentityArn}: Lambda puts the function's execution role there. Millrace functions have no role, so
 * the function registration may name one; without it {@link #defaultInvokeIdentityArn} makes
 * {@code arn:aws:iam::<account>:role/<function name>} (a role name allows every character a function name does), which
 * is well-formed for code that parses it and says which function it was.
 *
 * <p>Immutable, thread-safe.
 *
 * @param shardId           the source shard, {@code shardId-000000000000}
 * @param streamArn         the stream's ARN; also for a mapping on a stream consumer, see {@link #streamArnOf}
 * @param awsRegion         the stream's region
 * @param invokeIdentityArn see above
 */
public record BatchContext(String shardId, String streamArn, String awsRegion, String invokeIdentityArn) {
    private static final String CONSUMER_PART = "/consumer/";

    public BatchContext {
        Objects.requireNonNull(shardId, "shardId");
        Objects.requireNonNull(streamArn, "streamArn");
        Objects.requireNonNull(awsRegion, "awsRegion");
        Objects.requireNonNull(invokeIdentityArn, "invokeIdentityArn");
    }

    /**
     * The stream ARN for a mapping's EventSourceArn: a consumer ARN
     * ({@code arn:aws:kinesis:r:acct:stream/NAME/consumer/CNAME:TS}) becomes its stream's ARN, since the event's
     * {@code eventSourceARN} names the stream even when Lambda reads through a consumer.
     */
    public static String streamArnOf(String eventSourceArn) {
        int consumer = eventSourceArn.indexOf(CONSUMER_PART);
        return consumer < 0 ? eventSourceArn : eventSourceArn.substring(0, consumer);
    }

    /** The invokeIdentityArn used when a function's registration names no role (see the class comment). */
    public static String defaultInvokeIdentityArn(String accountId, String functionName) {
        return "arn:aws:iam::" + accountId + ":role/" + functionName;
    }
}
