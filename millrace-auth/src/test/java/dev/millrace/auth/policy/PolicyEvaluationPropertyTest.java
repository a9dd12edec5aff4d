package dev.millrace.auth.policy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random policies over a small alphabet of actions, resources and principals, evaluated by {@link PolicyEvaluator}
 * and by a reference model written straight from IAM's documented logic (regex globs, explicit lists): they agree;
 * an explicit deny always wins; adding an Allow never turns an allow into a deny; and the glob matcher agrees with a
 * regex on random patterns.
 */
class PolicyEvaluationPropertyTest {
    private static final String OWNER = "111122223333";
    private static final String OTHER = "444455556666";
    private static final List<String> ACTIONS = List.of("kinesis:PutRecord", "kinesis:PutRecords",
            "kinesis:GetRecords", "dynamodb:GetItem");
    private static final List<String> ACTION_PATTERNS = List.of("*", "kinesis:*", "kinesis:Put*", "kinesis:PutRecord?",
            "kinesis:putrecord", "KINESIS:GetRecords", "dynamodb:*", "kinesis:?etRecords");
    private static final List<String> RESOURCES = List.of("arn:aws:kinesis:us-east-1:111122223333:stream/orders",
            "arn:aws:kinesis:us-east-1:111122223333:stream/old", "arn:aws:kinesis:eu-west-1:111122223333:stream/orders");
    private static final List<String> RESOURCE_PATTERNS = List.of("*", "arn:aws:kinesis:*:111122223333:stream/o*",
            "arn:aws:kinesis:us-east-1:*", "arn:aws:kinesis:*:*:stream/orders", "arn:aws:kinesis:??-*:*:stream/old",
            "arn:aws:kinesis:us-east-1:111122223333:stream/Orders");
    /** As written in a Principal, and how the model reads it for caller arn:aws:iam::OTHER-or-OWNER:user/u. */
    private static final List<String> PRINCIPALS = List.of("\"*\"", "{\"AWS\":\"arn:aws:iam::%s:user/u\"}",
            "{\"AWS\":\"%s\"}", "{\"AWS\":\"arn:aws:iam::%s:root\"}", "{\"AWS\":\"arn:aws:iam::999988887777:root\"}");

    record Spec(boolean deny, boolean notAction, String action, boolean notResource, String resource, int principal) {
    }

    record Scenario(List<Spec> identity, List<Spec> onResource, boolean crossAccount, int actionIndex,
            int resourceIndex) {
        String callerAccount() {
            return crossAccount ? OTHER : OWNER;
        }

        String callerArn() {
            return "arn:aws:iam::" + callerAccount() + ":user/u";
        }
    }

    @Provide
    Arbitrary<Spec> specs() {
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(true, false, false, false),
                Arbitraries.of(ACTION_PATTERNS), Arbitraries.of(true, false, false, false),
                Arbitraries.of(RESOURCE_PATTERNS), Arbitraries.integers().between(0, PRINCIPALS.size() - 1))
                .as(Spec::new);
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<List<Spec>> statements = specs().list().ofMinSize(0).ofMaxSize(5);
        return Combinators.combine(statements, statements, Arbitraries.of(true, false),
                Arbitraries.integers().between(0, ACTIONS.size() - 1),
                Arbitraries.integers().between(0, RESOURCES.size() - 1)).as(Scenario::new);
    }

    private static String json(List<Spec> specs, boolean resourcePolicy, String callerAccount) {
        List<String> statements = new ArrayList<>();
        for (Spec spec : specs) {
            StringBuilder s = new StringBuilder("{\"Effect\":\"").append(spec.deny ? "Deny" : "Allow").append("\",");
            s.append('"').append(spec.notAction ? "NotAction" : "Action").append("\":\"").append(spec.action)
                    .append("\",");
            s.append('"').append(spec.notResource ? "NotResource" : "Resource").append("\":\"").append(spec.resource)
                    .append('"');
            if (resourcePolicy) {
                s.append(",\"Principal\":").append(String.format(PRINCIPALS.get(spec.principal), callerAccount));
            }
            statements.add(s.append('}').toString());
        }
        return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
    }

    private static Decision evaluate(Scenario scenario) {
        PolicyDocument identity = scenario.identity.isEmpty() ? null
                : PolicyDocument.parseIdentityPolicy(json(scenario.identity, false, scenario.callerAccount()));
        PolicyDocument onResource = scenario.onResource.isEmpty() ? null
                : PolicyDocument.parseResourcePolicy(json(scenario.onResource, true, scenario.callerAccount()));
        return PolicyEvaluator.evaluate(new Caller(scenario.callerArn(), scenario.callerAccount(), identity),
                ACTIONS.get(scenario.actionIndex), RESOURCES.get(scenario.resourceIndex), OWNER, onResource,
                RequestContext.EMPTY);
    }

    // The reference model: regex globs, and IAM's logic written out with booleans.

    static boolean glob(String pattern, String text, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.DOTALL
                : Pattern.DOTALL).matcher(text).matches();
    }

    private static boolean covers(Spec spec, String action, String resource) {
        return glob(spec.action, action, true) != spec.notAction && glob(spec.resource, resource, false) != spec.notResource;
    }

    /** 0: the principal is not named; 1: its account is; 2: it is, or everyone. */
    private static int principalStrength(Spec spec) {
        return switch (spec.principal) {
            case 0, 1 -> 2;
            case 2, 3 -> 1;
            default -> 0;
        };
    }

    private static Decision.Reason model(Scenario scenario) {
        String action = ACTIONS.get(scenario.actionIndex);
        String resource = RESOURCES.get(scenario.resourceIndex);
        boolean identityDeny = scenario.identity.stream().anyMatch(s -> s.deny && covers(s, action, resource));
        boolean identityAllow = scenario.identity.stream().anyMatch(s -> !s.deny && covers(s, action, resource));
        boolean resourceDeny = scenario.onResource.stream()
                .anyMatch(s -> s.deny && principalStrength(s) > 0 && covers(s, action, resource));
        int resourceAllow = scenario.onResource.stream().filter(s -> !s.deny && covers(s, action, resource))
                .mapToInt(PolicyEvaluationPropertyTest::principalStrength).max().orElse(0);
        if (identityDeny) {
            return Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY;
        }
        if (resourceDeny) {
            return Decision.Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY;
        }
        if (!scenario.crossAccount) {
            return identityAllow || resourceAllow == 2 ? Decision.Reason.ALLOWED
                    : Decision.Reason.NO_IDENTITY_POLICY_ALLOWS;
        }
        if (!identityAllow) {
            return Decision.Reason.NO_IDENTITY_POLICY_ALLOWS;
        }
        return resourceAllow > 0 ? Decision.Reason.ALLOWED : Decision.Reason.NO_RESOURCE_POLICY_ALLOWS;
    }

    @Property(tries = 2000)
    void evaluationAgreesWithTheReferenceModel(@ForAll("scenarios") Scenario scenario) {
        assertThat(evaluate(scenario).reason()).isEqualTo(model(scenario));
    }

    @Property(tries = 500)
    void anExplicitDenyAlwaysWins(@ForAll("scenarios") Scenario scenario, @ForAll("specs") Spec extra) {
        Spec denyAll = new Spec(true, false, "*", false, "*", 0);
        List<Spec> identity = new ArrayList<>(scenario.identity);
        identity.add(Math.min(extra.principal, identity.size()), denyAll);
        Decision decision = evaluate(new Scenario(identity, scenario.onResource, scenario.crossAccount,
                scenario.actionIndex, scenario.resourceIndex));
        assertThat(decision.reason()).isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY);
        List<Spec> onResource = new ArrayList<>(scenario.onResource);
        onResource.add(denyAll);
        decision = evaluate(new Scenario(scenario.identity, onResource, scenario.crossAccount, scenario.actionIndex,
                scenario.resourceIndex));
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).isIn(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY,
                Decision.Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY);
    }

    @Property(tries = 500)
    void addingAnAllowNeverTakesAccessAway(@ForAll("scenarios") Scenario scenario, @ForAll("specs") Spec extra,
            @ForAll boolean toResourcePolicy) {
        Decision before = evaluate(scenario);
        Spec allow = new Spec(false, extra.notAction, extra.action, extra.notResource, extra.resource, extra.principal);
        List<Spec> identity = new ArrayList<>(scenario.identity);
        List<Spec> onResource = new ArrayList<>(scenario.onResource);
        (toResourcePolicy ? onResource : identity).add(allow);
        Decision after = evaluate(new Scenario(identity, onResource, scenario.crossAccount, scenario.actionIndex,
                scenario.resourceIndex));
        if (before.allowed()) {
            assertThat(after.allowed()).isTrue();
        }
        if (!before.allowed() && before.reason() != Decision.Reason.NO_IDENTITY_POLICY_ALLOWS
                && before.reason() != Decision.Reason.NO_RESOURCE_POLICY_ALLOWS) {
            assertThat(after.reason()).isEqualTo(before.reason());
        }
    }

    @Property(tries = 3000)
    void globMatchingAgreesWithARegex(@ForAll @Size(max = 8) List<@net.jqwik.api.constraints.CharRange(from = '*',
            to = '?') Character> patternChars, @ForAll("texts") String text, @ForAll boolean ignoreCase) {
        StringBuilder pattern = new StringBuilder();
        for (char c : patternChars) {
            // Keep a small alphabet so matches are frequent: '*', '?', ':', '/', 'a', 'B'.
            pattern.append("*?:/aB".charAt(c % 6));
        }
        WildcardPattern compiled = ignoreCase ? WildcardPattern.ignoringCase(pattern.toString())
                : WildcardPattern.caseSensitive(pattern.toString());
        assertThat(compiled.matches(text)).as("%s vs %s", pattern, text)
                .isEqualTo(glob(pattern.toString(), text, ignoreCase));
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.strings().withChars(":/aAbB*?").ofMaxLength(10);
    }
}
