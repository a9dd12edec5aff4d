package dev.millrace.sts;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one STS call Kinesis clients make, served on Millrace's port: the Kinesis Producer Library (1.x) asks
 * GetCallerIdentity for the account and partition of the stream ARNs it sends, and stops if it gets no answer. STS
 * speaks the AWS query protocol, and so does this class:
 * <pre>
 *   request   POST /, Content-Type: application/x-www-form-urlencoded
 *             Action=GetCallerIdentity&amp;Version=2011-06-15
 *   answer    200, Content-Type: text/xml
 *             &lt;GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"&gt;
 *               &lt;GetCallerIdentityResult&gt; output members &lt;/GetCallerIdentityResult&gt;
 *               &lt;ResponseMetadata&gt;&lt;RequestId&gt;ID&lt;/RequestId&gt;&lt;/ResponseMetadata&gt;
 *             &lt;/GetCallerIdentityResponse&gt;
 *   error     400, Content-Type: text/xml
 *             &lt;ErrorResponse xmlns="..."&gt;
 *               &lt;Error&gt;&lt;Type&gt;Sender&lt;/Type&gt;&lt;Code&gt;InvalidAction&lt;/Code&gt;
 *                 &lt;Message&gt;TEXT&lt;/Message&gt;&lt;/Error&gt;
 *               &lt;RequestId&gt;ID&lt;/RequestId&gt;
 *             &lt;/ErrorResponse&gt;
 * </pre>
 * Other actions get STS's answer to an action it does not know (Millrace has no IAM behind it to assume roles in).
 *
 * <p>Immutable, thread-safe.
 */
public final class StsApi {
    private static final Logger log = LoggerFactory.getLogger(StsApi.class);
    static final String VERSION = "2011-06-15";
    /** AWS's text for its common InternalFailure error. */
    static final String INTERNAL_FAILURE =
            "The request processing has failed because of an unknown error, exception or failure.";
    static final String XMLNS = "https://sts.amazonaws.com/doc/" + VERSION + "/";
    public static final String CONTENT_TYPE = "text/xml";

    /** One STS action: the request's parameters and the caller in, the output members out. */
    interface Operation {
        Map<String, String> handle(Map<String, String> parameters, Who caller);
    }

    /**
     * Who is calling: an IAM user of {@code account} ({@code userName}), or the account's root when nobody was
     * authenticated ({@code --auth none}: any credentials are the server's own account's).
     */
    public record Who(Account account, String userName) {
    }

    /** An answer: status and XML body. */
    public record Result(int httpStatus, byte[] body) {
    }

    private final String accountId;
    private final Map<String, Operation> operations;

    /** {@code accountId}: the account every caller belongs to (Millrace's {@code --account-id}). */
    public StsApi(String accountId) {
        this(accountId, Map.of("GetCallerIdentity", new GetCallerIdentityHandler()));
    }

    /** With another action table (tests). */
    StsApi(String accountId, Map<String, Operation> operations) {
        this.accountId = accountId;
        this.operations = Map.copyOf(operations);
    }

    /**
     * True for a query protocol call with STS's {@code Version}. The body decides, not the content type alone: curl
     * and some signers give any body the form type (see CloudWatchApi#isCloudWatch), and CloudWatch's query calls
     * carry its own version.
     */
    public static boolean isSts(String target, String contentType, byte[] body) {
        if (target != null || contentType == null || !contentType.toLowerCase(Locale.ROOT)
                .startsWith("application/x-www-form-urlencoded")) {
            return false;
        }
        Map<String, String> form = parse(body);
        return VERSION.equals(form.get("Version")) && !form.getOrDefault("Action", "").isEmpty();
    }

    /**
     * Answers one call signed for {@code region} (its partition goes into the ARNs); never throws. Any throwable
     * (a bug, a StackOverflowError, a survivable OutOfMemoryError) is AWS's common 500 {@code InternalFailure}, with
     * one log line.
     */
    public Result handle(byte[] body, String region, String requestId) {
        return handle(body, region, requestId, null, null);
    }

    /**
     * As {@link #handle(byte[], String, String)}, for a caller authenticated as IAM user {@code userName} of
     * {@code callerAccountId} (both null: the server's account's root).
     */
    public Result handle(byte[] body, String region, String requestId, String callerAccountId, String userName) {
        try {
            return answer(body, region, requestId, callerAccountId, userName);
        } catch (Throwable e) {
            log.error("STS request {} failed: {}", requestId, Failures.brief(e));
            return new Result(500, error("Receiver", "InternalFailure", INTERNAL_FAILURE, requestId));
        }
    }

    private Result answer(byte[] body, String region, String requestId, String callerAccountId, String userName) {
        Map<String, String> parameters = parse(body);
        String action = parameters.remove("Action");
        parameters.remove("Version");
        if (action == null || action.isEmpty()) {
            // AWS's common error for a query call without an action (it was a NullPointerException).
            return new Result(400, error("Sender", "MissingAction",
                    "The request is missing an action or a required parameter.", requestId));
        }
        Operation operation = operations.get(action);
        if (operation == null) {
            return new Result(400, error("Sender", "InvalidAction",
                    "Could not find operation " + action + " for version " + VERSION, requestId));
        }
        Account caller = new Account(Account.isRegion(region) ? region : Account.LEGACY_REGION,
                callerAccountId != null ? callerAccountId : accountId);
        return new Result(200, response(action, operation.handle(parameters, new Who(caller, userName)),
                requestId));
    }

    /** The form's parameters; a malformed escape is kept as sent (STS calls carry none). */
    private static Map<String, String> parse(byte[] body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
            }
        }
        return form;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static byte[] response(String action, Map<String, String> output, String requestId) {
        StringBuilder b = new StringBuilder("<").append(action).append("Response xmlns=\"").append(XMLNS)
                .append("\">\n  <").append(action).append("Result>\n");
        output.forEach((name, value) -> b.append("    <").append(name).append('>').append(escape(value))
                .append("</").append(name).append(">\n"));
        b.append("  </").append(action).append("Result>\n  <ResponseMetadata>\n    <RequestId>")
                .append(escape(requestId)).append("</RequestId>\n  </ResponseMetadata>\n</").append(action)
                .append("Response>\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code type}: {@code Sender} for the client's errors, {@code Receiver} for the service's. */
    /**
     * An authentication failure as STS answers it (a query protocol service: {@code InvalidClientTokenId},
     * {@code SignatureDoesNotMatch}, {@code MissingAuthenticationToken}, {@code IncompleteSignature}).
     */
    public static Result securityError(String code, String message, int httpStatus, String requestId) {
        return new Result(httpStatus, error("Sender", code, message, requestId));
    }

    private static byte[] error(String type, String code, String message, String requestId) {
        String xml = "<ErrorResponse xmlns=\"" + XMLNS + "\">\n  <Error>\n    <Type>" + type + "</Type>\n    <Code>" + code
                + "</Code>\n    <Message>" + escape(message) + "</Message>\n  </Error>\n  <RequestId>"
                + escape(requestId) + "</RequestId>\n</ErrorResponse>\n";
        return xml.getBytes(StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
