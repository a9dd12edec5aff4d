package dev.millrace.auth;

import dev.millrace.auth.policy.Caller;
import dev.millrace.auth.policy.PolicyDocument;

import java.util.regex.Pattern;

/**
 * One IAM user of an identities file: its name, account, access key and secret, and its identity policy (none: it
 * may do nothing, AWS's implicit deny). Its principal is {@code arn:aws:iam::<accountId>:user/<name>}.
 * {@link #toString()} never shows the secret.
 *
 * <p>Immutable, thread-safe.
 */
public final class Identity {
    /** IAM's user name characters and length. */
    private static final Pattern NAME = Pattern.compile("[\\w+=,.@-]{1,64}");
    private static final Pattern ACCOUNT_ID = Pattern.compile("[0-9]{12}");
    /** IAM's access key id shape (AccessKeyIdType: 16 to 128 characters); AWS's own are upper case and digits. */
    private static final Pattern ACCESS_KEY_ID = Pattern.compile("[A-Z0-9]{16,128}");
    /** AWS's secrets are 40 characters; anything past this is a pasted file, not a key. */
    static final int MAX_SECRET_CHARS = 1024;

    private final String name;
    private final String accountId;
    private final String accessKeyId;
    private final String secretAccessKey;
    private final PolicyDocument policy;
    private final String principalArn;
    private final Caller caller;

    /** @throws IllegalArgumentException naming the field that is not valid */
    public Identity(String name, String accountId, String accessKeyId, String secretAccessKey, PolicyDocument policy) {
        check("name", nameProblem(name));
        check("accountId", accountIdProblem(accountId));
        check("accessKeyId", accessKeyIdProblem(accessKeyId));
        check("secretAccessKey", secretProblem(secretAccessKey));
        if (policy != null && policy.kind() != PolicyDocument.Kind.IDENTITY) {
            throw new IllegalArgumentException("policy: an identity's policy must be parsed as an identity policy");
        }
        this.name = name;
        this.accountId = accountId;
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.policy = policy;
        this.principalArn = "arn:aws:iam::" + accountId + ":user/" + name;
        this.caller = new Caller(principalArn, accountId, policy);
    }

    private static void check(String field, String problem) {
        if (problem != null) {
            throw new IllegalArgumentException(field + ": " + problem);
        }
    }

    /** What is wrong with a user name, or {@code null}. */
    static String nameProblem(String name) {
        return name != null && NAME.matcher(name).matches() ? null
                : "a user name is 1 to 64 characters of letters, digits and +=,.@_-, not " + quoted(name);
    }

    static String accountIdProblem(String accountId) {
        return accountId != null && ACCOUNT_ID.matcher(accountId).matches() ? null
                : "an account id is 12 digits, not " + quoted(accountId);
    }

    static String accessKeyIdProblem(String accessKeyId) {
        return accessKeyId != null && ACCESS_KEY_ID.matcher(accessKeyId).matches() ? null
                : "an access key id is 16 to 128 upper-case letters and digits (like AKIAIOSFODNN7EXAMPLE), not "
                        + quoted(accessKeyId);
    }

    static String secretProblem(String secret) {
        if (secret == null || secret.isEmpty()) {
            return "a secret access key must not be empty";
        }
        return secret.length() > MAX_SECRET_CHARS
                ? "a secret access key is at most " + MAX_SECRET_CHARS + " characters, not " + secret.length() : null;
    }

    private static String quoted(String value) {
        if (value == null) {
            return "nothing";
        }
        return "\"" + (value.length() > 80 ? value.substring(0, 80) + "..." : value) + "\"";
    }

    public String name() {
        return name;
    }

    public String accountId() {
        return accountId;
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    /** The secret, for the signature check only. */
    public String secretAccessKey() {
        return secretAccessKey;
    }

    /** The identity policy, or {@code null}: none, so the identity may do nothing on its own. */
    public PolicyDocument policy() {
        return policy;
    }

    /** {@code arn:aws:iam::<accountId>:user/<name>}. */
    public String principalArn() {
        return principalArn;
    }

    /** This identity as policy evaluation sees it. */
    public Caller caller() {
        return caller;
    }

    @Override
    public String toString() {
        return principalArn + " (access key " + accessKeyId + ")";
    }
}
