package dev.millrace.auth.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed, compiled IAM policy document: {@code Version} ({@code "2012-10-17"}, {@code "2008-10-17"} or absent),
 * {@code Id}, and {@code Statement} (one object or an array). Parsed once (when an identities file is loaded or a
 * resource policy is put) and evaluated on every request, so everything a request needs is compiled here.
 *
 * <p>Decisions where IAM's grammar is lenient or Millrace narrower:
 * <ul>
 * <li>Element names are case-sensitive and an unknown element is refused: a typo like {@code "Efect"} or
 *     {@code "Resorce"} must not quietly change what a policy means. A duplicate key is refused for the same reason.
 * </li>
 * <li>Policy variables ({@code ${aws:username}}) are not supported: under Version 2012-10-17, where IAM would
 *     substitute them, a Resource or condition value holding {@code ${} is refused; under 2008-10-17 or no Version
 *     they are plain text, as IAM treats them.</li>
 * <li>Bounds: {@link #MAX_POLICY_CHARS} characters, {@link #MAX_STATEMENTS} statements, {@link Statement#MAX_ENTRIES}
 *     actions, resources or principals per statement, JSON nested at most 32 deep.</li>
 * </ul>
 *
 * <p>Immutable, thread-safe.
 */
public final class PolicyDocument {
    /** Kinesis's limit for a resource policy is 20 KiB; an IAM user's policies are smaller still. */
    public static final int MAX_POLICY_CHARS = 20 * 1024;
    public static final int MAX_STATEMENTS = 100;
    public static final String VERSION_2012 = "2012-10-17";
    public static final String VERSION_2008 = "2008-10-17";
    private static final Set<String> ELEMENTS = Set.of("Version", "Id", "Statement");

    /** Whether the statements must, or must not, name principals. */
    public enum Kind {
        /** Attached to an identity: no Principal (IAM: "Policy document should not specify a principal."). */
        IDENTITY,
        /** Attached to a resource: every statement names its Principal or NotPrincipal. */
        RESOURCE
    }

    private final Kind kind;
    private final String version;
    private final String id;
    private final List<Statement> statements;
    private final boolean readsContext;

    private PolicyDocument(Kind kind, String version, String id, List<Statement> statements) {
        this.kind = kind;
        this.version = version;
        this.id = id;
        this.statements = statements;
        this.readsContext = statements.stream().anyMatch(Statement::hasConditions);
    }

    /** An identity policy from its JSON text. */
    public static PolicyDocument parseIdentityPolicy(String json) {
        return parse(json, Kind.IDENTITY);
    }

    /** A resource policy (as PutResourcePolicy receives it) from its JSON text. */
    public static PolicyDocument parseResourcePolicy(String json) {
        return parse(json, Kind.RESOURCE);
    }

    public static PolicyDocument parse(String json, Kind kind) {
        if (json == null || json.isBlank()) {
            throw new MalformedPolicyException("Syntax errors in policy. The policy document is empty.");
        }
        if (json.length() > MAX_POLICY_CHARS) {
            throw new MalformedPolicyException("The policy document is " + json.length() + " characters; at most "
                    + MAX_POLICY_CHARS + " are allowed");
        }
        return fromJson(PolicyJson.read(json), kind);
    }

    /**
     * A policy from an already read JSON value ({@link dev.millrace.protocol.JsonTree}'s maps, lists and strings),
     * for a policy embedded in a larger document such as an identities file. The caller bounds its size.
     */
    public static PolicyDocument fromJson(Object tree, Kind kind) {
        Map<String, Object> document = PolicyJson.object(tree, "The policy document");
        for (String name : document.keySet()) {
            if (!ELEMENTS.contains(name)) {
                throw new MalformedPolicyException("Syntax errors in policy. Unknown element \"" + name
                        + "\"; a policy has Version, Id and Statement");
            }
        }
        String version = version(document.get("Version"));
        String id = document.containsKey("Id") ? PolicyJson.string(document.get("Id"), "Id") : null;
        Object statementJson = document.get("Statement");
        if (statementJson == null) {
            throw new MalformedPolicyException("Missing required field Statement");
        }
        List<?> items = statementJson instanceof List<?> list ? list : List.of(statementJson);
        if (items.isEmpty()) {
            throw new MalformedPolicyException("Statement must not be an empty array");
        }
        if (items.size() > MAX_STATEMENTS) {
            throw new MalformedPolicyException("The policy has " + items.size() + " statements; at most "
                    + MAX_STATEMENTS + " are allowed");
        }
        boolean variablesRefused = VERSION_2012.equals(version);
        List<Statement> statements = new ArrayList<>(items.size());
        Set<String> sids = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            Statement statement = Statement.parse(items.get(i), i, variablesRefused);
            checkKind(statement, kind, i);
            if (statement.sid() != null && !statement.sid().isEmpty() && !sids.add(statement.sid())) {
                throw new MalformedPolicyException("Statement IDs (SID) in a single policy must be unique: \""
                        + statement.sid() + "\" is used twice");
            }
            statements.add(statement);
        }
        return new PolicyDocument(kind, version, id, List.copyOf(statements));
    }

    private static String version(Object json) {
        if (json == null) {
            return null;
        }
        String version = PolicyJson.string(json, "Version");
        if (!version.equals(VERSION_2012) && !version.equals(VERSION_2008)) {
            throw new MalformedPolicyException("The policy failed legacy parsing: Version must be \"" + VERSION_2012
                    + "\" or \"" + VERSION_2008 + "\", not \"" + version + "\"");
        }
        return version;
    }

    private static void checkKind(Statement statement, Kind kind, int index) {
        if (kind == Kind.IDENTITY && statement.hasPrincipal()) {
            throw new MalformedPolicyException("Policy document should not specify a principal. (Statement "
                    + (index + 1) + ")");
        }
        if (kind == Kind.RESOURCE && !statement.hasPrincipal()) {
            throw new MalformedPolicyException("Missing required field Principal (Statement " + (index + 1)
                    + "): a resource policy names who it applies to");
        }
    }

    static void refuseVariables(String value, String where) {
        if (value.contains("${")) {
            throw new MalformedPolicyException("Policy variables are not supported: " + where + " \"" + value
                    + "\" (under Version " + VERSION_2012 + " IAM would substitute ${...}; write the value out)");
        }
    }

    public Kind kind() {
        return kind;
    }

    /** The Version, or {@code null} if the document has none. */
    public String version() {
        return version;
    }

    /** The Id, or {@code null}. */
    public String id() {
        return id;
    }

    public List<Statement> statements() {
        return statements;
    }

    /**
     * Whether evaluating the document reads the request's context: only Conditions do (policy variables are refused
     * or literal), so for a document without any, {@link RequestContext#EMPTY} decides the same.
     */
    public boolean readsContext() {
        return readsContext;
    }
}
