package dev.millrace.auth.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One compiled policy statement: its effect, the actions and resources it covers ({@code NotAction} and
 * {@code NotResource} cover everything but the listed ones), the principals it names (resource policies only) and its
 * conditions. Actions match case-insensitively, resources case-sensitively, both with {@code *} and {@code ?}.
 *
 * <p>Immutable, thread-safe.
 */
public final class Statement {
    /** A statement lists a few actions or resources; a thousand is a policy generator gone wrong. */
    static final int MAX_ENTRIES = 1000;
    private static final Set<String> ELEMENTS = Set.of("Sid", "Effect", "Action", "NotAction", "Resource",
            "NotResource", "Principal", "NotPrincipal", "Condition");

    private final String sid;
    private final Effect effect;
    private final WildcardPattern[] actions;
    private final boolean notAction;
    private final WildcardPattern[] resources;
    private final boolean notResource;
    /** {@code null} in an identity policy. */
    private final PrincipalSet principals;
    private final boolean notPrincipal;
    private final Conditions conditions;

    private Statement(String sid, Effect effect, WildcardPattern[] actions, boolean notAction,
            WildcardPattern[] resources, boolean notResource, PrincipalSet principals, boolean notPrincipal,
            Conditions conditions) {
        this.sid = sid;
        this.effect = effect;
        this.actions = actions;
        this.notAction = notAction;
        this.resources = resources;
        this.notResource = notResource;
        this.principals = principals;
        this.notPrincipal = notPrincipal;
        this.conditions = conditions;
    }

    /** Reads one statement object; {@code variablesRefused} when the Version would give {@code ${...}} a meaning. */
    static Statement parse(Object json, int index, boolean variablesRefused) {
        String where = "Statement " + (index + 1);
        Map<String, Object> element = PolicyJson.object(json, where);
        for (String name : element.keySet()) {
            if (!ELEMENTS.contains(name)) {
                throw new MalformedPolicyException("Syntax errors in policy. " + where + " has an unknown element \""
                        + name + "\"; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, "
                        + "Principal or NotPrincipal, and Condition");
            }
        }
        String sid = element.containsKey("Sid") ? PolicyJson.string(element.get("Sid"), where + " Sid") : null;
        Effect effect = effect(element.get("Effect"), where);
        String actionName = exactlyOne(element, "Action", "NotAction", where, "Policy statement must contain actions.");
        WildcardPattern[] actions = actions(element.get(actionName), where + " " + actionName);
        String resourceName = exactlyOne(element, "Resource", "NotResource", where,
                "Policy statement must contain resources.");
        WildcardPattern[] resources = resources(element.get(resourceName), where + " " + resourceName,
                variablesRefused);
        PrincipalSet principals = null;
        boolean notPrincipal = element.containsKey("NotPrincipal");
        if (element.containsKey("Principal") || notPrincipal) {
            String principalName = exactlyOne(element, "Principal", "NotPrincipal", where, null);
            principals = PrincipalSet.parse(element.get(principalName), where + " " + principalName);
        }
        Conditions conditions = element.containsKey("Condition")
                ? Conditions.parse(element.get("Condition"), variablesRefused) : Conditions.NONE;
        return new Statement(sid, effect, actions, actionName.equals("NotAction"), resources,
                resourceName.equals("NotResource"), principals, notPrincipal, conditions);
    }

    private static Effect effect(Object json, String where) {
        if (json == null) {
            throw new MalformedPolicyException("Missing required field Effect in " + where);
        }
        String text = PolicyJson.string(json, where + " Effect");
        return switch (text) {
            case "Allow" -> Effect.ALLOW;
            case "Deny" -> Effect.DENY;
            default -> throw new MalformedPolicyException("Invalid effect: " + text + " (" + where
                    + " Effect must be Allow or Deny)");
        };
    }

    private static String exactlyOne(Map<String, Object> element, String name, String notName, String where,
            String missingMessage) {
        boolean has = element.containsKey(name);
        boolean hasNot = element.containsKey(notName);
        if (has && hasNot) {
            throw new MalformedPolicyException(where + " has both " + name + " and " + notName + "; use one");
        }
        if (!has && !hasNot) {
            throw new MalformedPolicyException(missingMessage + " (" + where + " has neither " + name + " nor "
                    + notName + ")");
        }
        return has ? name : notName;
    }

    private static WildcardPattern[] actions(Object json, String where) {
        List<String> texts = PolicyJson.strings(json, where, MAX_ENTRIES);
        List<WildcardPattern> patterns = new ArrayList<>(texts.size());
        for (String action : texts) {
            if (!action.equals("*")) {
                int colon = action.indexOf(':');
                if (colon < 0) {
                    throw new MalformedPolicyException("Actions/Conditions must be prefaced by a vendor, e.g., "
                            + "iam, sdb, ec2, etc. (" + where + " \"" + action + "\")");
                }
                if (action.indexOf(':', colon + 1) >= 0) {
                    throw new MalformedPolicyException("Actions/Condition can contain only one colon. (" + where
                            + " \"" + action + "\")");
                }
                String vendor = action.substring(0, colon);
                if (vendor.isEmpty() || !vendor.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-')) {
                    throw new MalformedPolicyException("Vendor " + vendor + " is not valid (" + where + " \""
                            + action + "\"): a vendor is letters, digits and '-', without wildcards");
                }
            }
            patterns.add(WildcardPattern.ignoringCase(action));
        }
        return patterns.toArray(new WildcardPattern[0]);
    }

    private static WildcardPattern[] resources(Object json, String where, boolean variablesRefused) {
        List<String> texts = PolicyJson.strings(json, where, MAX_ENTRIES);
        List<WildcardPattern> patterns = new ArrayList<>(texts.size());
        for (String resource : texts) {
            if (!isArnPattern(resource)) {
                throw new MalformedPolicyException("Resource " + resource + " must be in ARN format or \"*\".");
            }
            if (variablesRefused) {
                PolicyDocument.refuseVariables(resource, where);
            }
            patterns.add(WildcardPattern.caseSensitive(resource));
        }
        return patterns.toArray(new WildcardPattern[0]);
    }

    /** {@code "*"}, or an ARN of six parts, or an {@code arn:} prefix whose {@code *} stands for the rest. */
    private static boolean isArnPattern(String resource) {
        if (resource.equals("*")) {
            return true;
        }
        return resource.startsWith("arn:") && (resource.split(":", 6).length == 6 || resource.indexOf('*') >= 0);
    }

    public String sid() {
        return sid;
    }

    public Effect effect() {
        return effect;
    }

    boolean hasPrincipal() {
        return principals != null;
    }

    /** How this statement's Principal/NotPrincipal names the caller; NONE for a statement without one. */
    PrincipalMatch principalMatch(String principalArn, String principalAccountId) {
        if (principals == null) {
            return PrincipalMatch.NONE;
        }
        PrincipalMatch match = principals.match(principalArn, principalAccountId);
        if (notPrincipal) {
            return match == PrincipalMatch.NONE ? PrincipalMatch.DIRECT : PrincipalMatch.NONE;
        }
        return match;
    }

    /** Whether the statement covers the action on the resource ({@code null}: an action without one) now. */
    /** Whether the statement has a Condition, the only part of it that reads a request's context. */
    boolean hasConditions() {
        return !conditions.isEmpty();
    }

    boolean covers(String action, String resource, RequestContext context) {
        if (anyMatches(actions, action) == notAction) {
            return false;
        }
        if (anyMatches(resources, resource == null ? "*" : resource) == notResource) {
            return false;
        }
        return conditions.matches(context);
    }

    private static boolean anyMatches(WildcardPattern[] patterns, String text) {
        for (WildcardPattern pattern : patterns) {
            if (pattern.matches(text)) {
                return true;
            }
        }
        return false;
    }
}
