package dev.millrace.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.protocol.Account;

import java.time.Clock;
import java.util.regex.Pattern;

/**
 * What the handlers share: the store, the clock, the account's region, the registered functions, the streams; how a
 * function, an event source and a destination are resolved; the bound on mappings.
 *
 * <p>Thread-safe (its parts are).
 */
final class LambdaServices {
    /**
     * Millrace's bound on the mappings of an account's region. Each enabled mapping keeps a poller per shard (up to
     * ten with ParallelizationFactor) on some node, and a node of this size serves hundreds of those, not tens of
     * thousands; and every node holds the metadata in memory, where a mapping takes up to ~25 KB (five 4 KB
     * patterns, tags). 1,000 mappings stay within ~25 MB. AWS documents no such quota.
     */
    static final int MAX_MAPPINGS = 1_000;
    private static final String CONSUMER = "/consumer/";
    private static final Pattern CONSUMER_PART = Pattern.compile("[a-zA-Z0-9_.-]{1,128}:[0-9]{1,20}");
    /** S3's bucket names (the general-purpose rules; no upper case, no '_'). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    final MappingStore store;
    final Clock clock;
    final Account account;
    final FunctionRegistry functions;
    final StreamLookup streams;
    final int maxMappings;

    LambdaServices(MappingStore store, Clock clock, Account account, FunctionRegistry functions,
                   StreamLookup streams, int maxMappings) {
        this.store = store;
        this.clock = clock;
        this.account = account;
        this.functions = functions;
        this.streams = streams;
        this.maxMappings = maxMappings;
    }

    /** {@code arn:<partition>:lambda:<region>:<account>:event-source-mapping:<UUID>}. */
    static String mappingArn(Account account, String uuid) {
        return "arn:" + account.partition() + ":lambda:" + account.region() + ":" + account.id()
                + ":event-source-mapping:" + uuid;
    }

    String mappingArn(String uuid) {
        return mappingArn(account, uuid);
    }

    /**
     * The path's UUID, which the model's UUIDString makes exactly 36 characters.
     *
     * @throws LambdaException ValidationException otherwise
     */
    static String uuid(String given) {
        Violations v = new Violations();
        v.length(given, "uUID", 36, 36);
        v.throwIfAny();
        return given;
    }

    /** The stored mapping {@code uuid} names; ResourceNotFoundException if none. */
    EventSourceMapping existing(String uuid) {
        return store.get(uuid(uuid)).orElseThrow(LambdaException::notFound);
    }

    /**
     * The registered function a (well-formed) FunctionName names in this account's region.
     *
     * @throws LambdaException InvalidParameterValueException {@code Function does not exist} (AWS's answer, with
     *                         status 400, not 404)
     */
    FunctionRef existingFunction(String given) {
        FunctionRef f = FunctionRef.resolve(given, account);
        if (f == null || !functions.has(f.name())) {
            throw LambdaException.invalidParameter("Function does not exist");
        }
        return f;
    }

    /**
     * An EventSourceArn this server maps: a stream ARN of this account's region, or one of its streams' consumer
     * ARNs. A missing one is AWS's {@code Unrecognized event source.}; any other ARN (another service, account or
     * region) is that too, saying what Millrace serves.
     */
    String recognizedSource(String arn) {
        if (arn == null) {
            throw LambdaException.invalidParameter("Unrecognized event source.");
        }
        if (account.streamNameOf(arn) != null || consumerStreamArn(arn) != null) {
            return arn;
        }
        throw LambdaException.invalidParameter("Unrecognized event source. Millrace maps Kinesis streams and stream"
                + " consumers of this account and region (" + account.streamArn("NAME") + ", or "
                + account.streamArn("NAME") + "/consumer/CONSUMER:TIMESTAMP), not " + arn + ".");
    }

    /** The stream part of a consumer ARN of this account's region, or null if {@code arn} is not one. */
    String consumerStreamArn(String arn) {
        int at = arn.indexOf(CONSUMER);
        if (at < 0) {
            return null;
        }
        String stream = arn.substring(0, at);
        String consumer = arn.substring(at + CONSUMER.length());
        return account.streamNameOf(stream) != null && CONSUMER_PART.matcher(consumer).matches() ? stream : null;
    }

    /**
     * Whether a recognised source exists now: AWS's {@code Stream not found: <arn>} otherwise (for a consumer whose
     * stream exists, {@code Stream consumer not found: <arn>}).
     */
    void checkSourceExists(String source) {
        String stream = consumerStreamArn(source);
        if (stream == null) {
            if (streams.streamCreatedMs(source).isEmpty()) {
                throw LambdaException.invalidParameter("Stream not found: " + source);
            }
            return;
        }
        if (streams.consumerStream(source).isEmpty()) {
            if (streams.streamCreatedMs(stream).isEmpty()) {
                throw LambdaException.invalidParameter("Stream not found: " + stream);
            }
            throw LambdaException.invalidParameter("Stream consumer not found: " + source);
        }
    }

    /**
     * An OnFailure destination Millrace delivers to: an S3 bucket ({@code arn:aws:s3:::BUCKET}, as on AWS) or a
     * Kinesis stream of this account's region that exists (Millrace's extension; AWS takes SQS, SNS and S3 only).
     * Null or empty: none.
     */
    void checkDestination(String arn, String source) {
        if (arn == null || arn.isEmpty()) {
            return;
        }
        String sourceStream = source.contains("/consumer/") ? source.substring(0, source.indexOf("/consumer/"))
                : source;
        if (arn.equals(sourceStream)) {
            // Its failure records would be the mapping's own records again: a loop that multiplies them.
            throw LambdaException.invalidParameter("The OnFailure destination " + arn + " is the mapping's own "
                    + "source stream; choose another stream or an S3 bucket.");
        }
        String s3 = "arn:" + account.partition() + ":s3:::";
        if (arn.startsWith(s3) && BUCKET.matcher(arn.substring(s3.length())).matches()) {
            return;
        }
        if (account.streamNameOf(arn) != null) {
            if (streams.streamCreatedMs(arn).isEmpty()) {
                throw LambdaException.invalidParameter("The OnFailure destination stream does not exist: " + arn);
            }
            return;
        }
        if (arn.matches("arn:[^:]*:(sqs|sns):.*")) {
            throw LambdaException.invalidParameter("The destination ARN " + arn + " is not supported: Millrace "
                    + "serves no SQS or SNS; use an S3 bucket (" + s3 + "BUCKET) or a Kinesis stream ("
                    + account.streamArn("NAME") + ").");
        }
        throw LambdaException.invalidParameter("The destination ARN " + arn + " is invalid: Millrace delivers "
                + "failed batches' records to an S3 bucket (" + s3 + "BUCKET) or a Kinesis stream of this account "
                + "and region (" + account.streamArn("NAME") + ").");
    }

    /**
     * AWS's answer to a second mapping of one (source, function) pair, verbatim (the function as the request named
     * it).
     */
    static LambdaException duplicate(String source, String functionGiven, String uuid) {
        return LambdaException.conflict("The event source arn (\" " + source + " \") and function (\" "
                + functionGiven + " \") provided mapping already exists. Please update or delete the existing "
                + "mapping with UUID " + uuid);
    }
}
