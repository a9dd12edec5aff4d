package dev.millrace.auth.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Identity policies in one account: allow and deny by action and by ARN pattern, explicit deny over allow,
 * NotAction, NotResource, {@code ?} and {@code *}, the case of actions, Version variants, a single statement object,
 * and AWS's refusal texts word for word.
 */
class PolicyMatrixTest {
    private static final String ACCOUNT = "111122223333";
    private static final String USER = "arn:aws:iam::111122223333:user/producer";
    private static final String ORDERS = "arn:aws:kinesis:us-east-1:111122223333:stream/orders";
    private static final String PAYMENTS = "arn:aws:kinesis:us-east-1:111122223333:stream/payments";

    static Decision decide(String policyJson, String action, String resource) {
        PolicyDocument policy = policyJson == null ? null : PolicyDocument.parseIdentityPolicy(policyJson);
        return PolicyEvaluator.evaluate(new Caller(USER, ACCOUNT, policy), action, resource, ACCOUNT, null,
                RequestContext.EMPTY);
    }

    static String statement(String effect, String actionElement, String actions, String resourceElement,
            String resources) {
        return "{\"Effect\":\"" + effect + "\",\"" + actionElement + "\":" + actions + ",\"" + resourceElement + "\":"
                + resources + "}";
    }

    static String policy(String... statements) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
    }

    @ParameterizedTest(name = "{0} {1} on {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
        // Action pattern | Resource pattern | request action | request resource | allowed
        "kinesis:PutRecord | " + ORDERS + " | kinesis:PutRecord | " + ORDERS + " | true",
        "kinesis:PutRecord | " + ORDERS + " | kinesis:PutRecords | " + ORDERS + " | false",
        "kinesis:PutRecord | " + ORDERS + " | kinesis:PutRecord | " + PAYMENTS + " | false",
        "kinesis:putrecord | " + ORDERS + " | kinesis:PutRecord | " + ORDERS + " | true",
        "KINESIS:PUTRECORD | " + ORDERS + " | kinesis:PutRecord | " + ORDERS + " | true",
        "kinesis:Put* | " + ORDERS + " | kinesis:PutRecords | " + ORDERS + " | true",
        "kinesis:Put* | " + ORDERS + " | kinesis:GetRecords | " + ORDERS + " | false",
        "kinesis:PutRecord? | " + ORDERS + " | kinesis:PutRecords | " + ORDERS + " | true",
        "kinesis:PutRecord? | " + ORDERS + " | kinesis:PutRecord | " + ORDERS + " | false",
        "kinesis:* | arn:aws:kinesis:us-east-1:111122223333:stream/* | kinesis:DeleteStream | " + PAYMENTS + " | true",
        "kinesis:* | arn:aws:kinesis:*:111122223333:stream/ord* | kinesis:DeleteStream | " + ORDERS + " | true",
        "kinesis:* | arn:aws:kinesis:*:111122223333:stream/ord* | kinesis:DeleteStream | " + PAYMENTS + " | false",
        "kinesis:* | arn:aws:kinesis:us-east-1:111122223333:stream/order? | kinesis:ListShards | " + ORDERS + " | true",
        "kinesis:* | arn:aws:kinesis:us-east-1:111122223333:stream/orde? | kinesis:ListShards | " + ORDERS + " | false",
        // Resource matching is case-sensitive.
        "kinesis:* | arn:aws:kinesis:us-east-1:111122223333:stream/Orders | kinesis:ListShards | " + ORDERS + " | false",
        // A wildcard crosses ':' and '/' (the consumer of a stream is under it).
        "kinesis:* | arn:aws:kinesis:* | kinesis:SubscribeToShard | " + ORDERS + "/consumer/c:1 | true",
        "kinesis:* | " + ORDERS + "/* | kinesis:SubscribeToShard | " + ORDERS + "/consumer/c:1 | true",
        "* | * | dynamodb:UpdateItem | arn:aws:dynamodb:us-east-1:111122223333:table/kcl | true",
        "dynamodb:* | * | kinesis:PutRecord | " + ORDERS + " | false",
    })
    void allowByActionAndResourcePattern(String action, String resource, String requestAction,
            String requestResource, boolean allowed) {
        String json = policy(statement("Allow", "Action", "\"" + action + "\"", "Resource", "\"" + resource + "\""));
        Decision decision = decide(json, requestAction, requestResource);
        assertThat(decision.allowed()).as(decision.toString()).isEqualTo(allowed);
        if (!allowed) {
            assertThat(decision.reason()).isEqualTo(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS);
        }
    }

    @Test
    void refusalTextsAreAwsWordForWord() {
        assertThat(decide(null, "kinesis:PutRecord", ORDERS).message()).isEqualTo(
                "User: arn:aws:iam::111122223333:user/producer is not authorized to perform: kinesis:PutRecord on "
                + "resource: arn:aws:kinesis:us-east-1:111122223333:stream/orders because no identity-based policy "
                + "allows the kinesis:PutRecord action");
        String denyAll = policy(statement("Allow", "Action", "\"*\"", "Resource", "\"*\""),
                statement("Deny", "Action", "\"kinesis:PutRecord\"", "Resource", "\"*\""));
        assertThat(decide(denyAll, "kinesis:PutRecord", ORDERS).message()).isEqualTo(
                "User: arn:aws:iam::111122223333:user/producer is not authorized to perform: kinesis:PutRecord on "
                + "resource: arn:aws:kinesis:us-east-1:111122223333:stream/orders with an explicit deny in an "
                + "identity-based policy");
        // No resource (ListStreams-like actions): AWS leaves out " on resource: ...".
        assertThat(decide(null, "kinesis:ListStreams", null).message()).isEqualTo(
                "User: arn:aws:iam::111122223333:user/producer is not authorized to perform: kinesis:ListStreams "
                + "because no identity-based policy allows the kinesis:ListStreams action");
        assertThat(decide(null, "kinesis:ListStreams", "*").message()).isEqualTo(
                "User: arn:aws:iam::111122223333:user/producer is not authorized to perform: kinesis:ListStreams "
                + "because no identity-based policy allows the kinesis:ListStreams action");
        assertThat(decide(null, "kinesis:PutRecord", ORDERS).toException().errorType())
                .isEqualTo("AccessDeniedException");
        assertThat(decide(null, "kinesis:PutRecord", ORDERS).toException().httpStatus()).isEqualTo(400);
    }

    @Test
    void noPolicyMayDoNothing() {
        Decision decision = decide(null, "kinesis:DescribeStream", ORDERS);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).isEqualTo(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS);
    }

    @Test
    void explicitDenyWinsOverAllowWhateverTheOrder() {
        String allow = statement("Allow", "Action", "\"kinesis:*\"", "Resource", "\"*\"");
        String deny = statement("Deny", "Action", "\"kinesis:Delete*\"", "Resource", "\"" + ORDERS + "\"");
        for (String json : new String[] {policy(allow, deny), policy(deny, allow)}) {
            assertThat(decide(json, "kinesis:DeleteStream", ORDERS).reason())
                    .isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY);
            assertThat(decide(json, "kinesis:DeleteStream", PAYMENTS).allowed()).isTrue();
            assertThat(decide(json, "kinesis:PutRecord", ORDERS).allowed()).isTrue();
        }
    }

    @Test
    void notActionCoversEverythingButTheListedActions() {
        String json = policy(statement("Allow", "NotAction", "[\"kinesis:Delete*\",\"kinesis:Update*\"]",
                "Resource", "\"*\""));
        assertThat(decide(json, "kinesis:PutRecord", ORDERS).allowed()).isTrue();
        assertThat(decide(json, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/t").allowed())
                .isTrue();
        assertThat(decide(json, "kinesis:DeleteStream", ORDERS).allowed()).isFalse();
        assertThat(decide(json, "kinesis:updateshardcount", ORDERS).allowed()).isFalse();
        // A Deny with NotAction: everything but reads is refused, even though another statement allows all.
        String readOnly = policy(statement("Allow", "Action", "\"*\"", "Resource", "\"*\""),
                statement("Deny", "NotAction", "[\"kinesis:Get*\",\"kinesis:Describe*\"]", "Resource", "\"*\""));
        assertThat(decide(readOnly, "kinesis:GetRecords", ORDERS).allowed()).isTrue();
        assertThat(decide(readOnly, "kinesis:PutRecord", ORDERS).reason())
                .isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY);
    }

    @Test
    void notResourceCoversEverythingButTheListedResources() {
        String json = policy(statement("Allow", "Action", "\"kinesis:*\"", "NotResource", "\"" + ORDERS + "\""));
        assertThat(decide(json, "kinesis:PutRecord", PAYMENTS).allowed()).isTrue();
        assertThat(decide(json, "kinesis:PutRecord", ORDERS).allowed()).isFalse();
        String denyAllBut = policy(statement("Allow", "Action", "\"kinesis:*\"", "Resource", "\"*\""),
                statement("Deny", "Action", "\"kinesis:*\"", "NotResource", "\"" + ORDERS + "\""));
        assertThat(decide(denyAllBut, "kinesis:PutRecord", ORDERS).allowed()).isTrue();
        assertThat(decide(denyAllBut, "kinesis:PutRecord", PAYMENTS).reason())
                .isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY);
    }

    @Test
    void actionWithoutResourceNeedsAStarResource() {
        String onStreams = policy(statement("Allow", "Action", "\"kinesis:*\"", "Resource",
                "\"arn:aws:kinesis:*:111122223333:stream/*\""));
        assertThat(decide(onStreams, "kinesis:ListStreams", null).allowed()).isFalse();
        String onAll = policy(statement("Allow", "Action", "\"kinesis:ListStreams\"", "Resource", "\"*\""));
        assertThat(decide(onAll, "kinesis:ListStreams", null).allowed()).isTrue();
    }

    @Test
    void versionVariantsAndASingleStatementObject() {
        String statement = statement("Allow", "Action", "\"kinesis:PutRecord\"", "Resource", "\"" + ORDERS + "\"");
        for (String json : new String[] {
            "{\"Version\":\"2012-10-17\",\"Statement\":" + statement + "}",
            "{\"Version\":\"2008-10-17\",\"Statement\":[" + statement + "]}",
            "{\"Statement\":" + statement + "}",
            "{\"Id\":\"p1\",\"Statement\":[" + statement + "],\"Version\":\"2012-10-17\"}",
        }) {
            assertThat(decide(json, "kinesis:PutRecord", ORDERS).allowed()).as(json).isTrue();
            assertThat(decide(json, "kinesis:PutRecords", ORDERS).allowed()).as(json).isFalse();
        }
        PolicyDocument document = PolicyDocument.parseIdentityPolicy(
                "{\"Id\":\"p1\",\"Statement\":[" + statement + "],\"Version\":\"2008-10-17\"}");
        assertThat(document.version()).isEqualTo("2008-10-17");
        assertThat(document.id()).isEqualTo("p1");
        assertThat(document.statements()).hasSize(1);
    }

    @Test
    void policyVariablesAreLiteralTextUnderTheOldVersion() {
        String resource = "\"arn:aws:kinesis:us-east-1:111122223333:stream/${aws:username}\"";
        String old = "{\"Version\":\"2008-10-17\",\"Statement\":"
                + statement("Allow", "Action", "\"kinesis:*\"", "Resource", resource) + "}";
        assertThat(decide(old, "kinesis:PutRecord",
                "arn:aws:kinesis:us-east-1:111122223333:stream/${aws:username}").allowed()).isTrue();
        assertThat(decide(old, "kinesis:PutRecord",
                "arn:aws:kinesis:us-east-1:111122223333:stream/producer").allowed()).isFalse();
    }
}
