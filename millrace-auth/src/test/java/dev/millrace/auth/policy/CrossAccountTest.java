package dev.millrace.auth.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream in account 111122223333 (the owner) read by a user of account 444455556666 (the reader): IAM's
 * cross-account rule (both the reader's identity policy and the stream's resource policy must allow), and the
 * same-account rule (either suffices, but a resource policy naming only the account delegates).
 */
class CrossAccountTest {
    private static final String OWNER_ACCOUNT = "111122223333";
    private static final String READER_ACCOUNT = "444455556666";
    private static final String READER = "arn:aws:iam::444455556666:user/reader";
    private static final String OWNER_USER = "arn:aws:iam::111122223333:user/app";
    private static final String ORDERS = "arn:aws:kinesis:us-east-1:111122223333:stream/orders";
    private static final PolicyDocument READER_MAY_READ_ANY_STREAM = PolicyDocument.parseIdentityPolicy(
            "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":[\"kinesis:Get*\","
            + "\"kinesis:DescribeStream*\",\"kinesis:ListShards\"],\"Resource\":\"arn:aws:kinesis:*:*:stream/*\"}}");

    private static PolicyDocument streamPolicy(String effect, String principal, String action) {
        return PolicyDocument.parseResourcePolicy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"s\","
                + "\"Effect\":\"" + effect + "\",\"Principal\":" + principal + ",\"Action\":\"" + action + "\","
                + "\"Resource\":\"" + ORDERS + "\"}]}");
    }

    private static Decision reader(PolicyDocument identityPolicy, String action, PolicyDocument resourcePolicy) {
        return PolicyEvaluator.evaluate(new Caller(READER, READER_ACCOUNT, identityPolicy), action, ORDERS,
                OWNER_ACCOUNT, resourcePolicy, RequestContext.EMPTY);
    }

    @Test
    void grantedWhenBothAllow() {
        for (String principal : new String[] {
            "{\"AWS\":\"" + READER + "\"}",
            "{\"AWS\":\"arn:aws:iam::444455556666:root\"}",
            "{\"AWS\":\"444455556666\"}",
            "{\"AWS\":[\"999988887777\",\"444455556666\"]}",
            "{\"AWS\":\"*\"}",
            "\"*\"",
        }) {
            Decision decision = reader(READER_MAY_READ_ANY_STREAM, "kinesis:GetRecords",
                    streamPolicy("Allow", principal, "kinesis:GetRecords"));
            assertThat(decision.allowed()).as(principal + ": " + decision).isTrue();
        }
    }

    @Test
    void refusedWhenTheResourcePolicyNamesSomeoneElse() {
        for (String principal : new String[] {
            "{\"AWS\":\"arn:aws:iam::444455556666:user/other\"}",
            "{\"AWS\":\"arn:aws:iam::999988887777:root\"}",
            "{\"AWS\":\"999988887777\"}",
            "{\"AWS\":\"arn:aws:iam::444455556666:role/reader\"}",
        }) {
            Decision decision = reader(READER_MAY_READ_ANY_STREAM, "kinesis:GetRecords",
                    streamPolicy("Allow", principal, "kinesis:GetRecords"));
            assertThat(decision.reason()).as(principal).isEqualTo(Decision.Reason.NO_RESOURCE_POLICY_ALLOWS);
            assertThat(decision.message()).isEqualTo("User: arn:aws:iam::444455556666:user/reader is not authorized "
                    + "to perform: kinesis:GetRecords on resource: arn:aws:kinesis:us-east-1:111122223333:stream/orders"
                    + " because no resource-based policy allows the kinesis:GetRecords action");
        }
    }

    @Test
    void refusedWithoutAnyResourcePolicyOrForAnotherAction() {
        assertThat(reader(READER_MAY_READ_ANY_STREAM, "kinesis:GetRecords", null).reason())
                .isEqualTo(Decision.Reason.NO_RESOURCE_POLICY_ALLOWS);
        assertThat(reader(READER_MAY_READ_ANY_STREAM, "kinesis:GetShardIterator",
                streamPolicy("Allow", "{\"AWS\":\"" + READER + "\"}", "kinesis:GetRecords")).reason())
                .isEqualTo(Decision.Reason.NO_RESOURCE_POLICY_ALLOWS);
    }

    @Test
    void refusedByAnExplicitDenyInTheResourcePolicy() {
        PolicyDocument allowThenDeny = PolicyDocument.parseResourcePolicy("{\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},\"Action\":\"kinesis:*\","
                + "\"Resource\":\"" + ORDERS + "\"},"
                + "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" + READER + "\"},\"Action\":\"kinesis:GetRecords\","
                + "\"Resource\":\"" + ORDERS + "\"}]}");
        Decision decision = reader(READER_MAY_READ_ANY_STREAM, "kinesis:GetRecords", allowThenDeny);
        assertThat(decision.reason()).isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY);
        assertThat(decision.message()).isEqualTo("User: arn:aws:iam::444455556666:user/reader is not authorized to "
                + "perform: kinesis:GetRecords on resource: arn:aws:kinesis:us-east-1:111122223333:stream/orders with "
                + "an explicit deny in a resource-based policy");
        assertThat(reader(READER_MAY_READ_ANY_STREAM, "kinesis:DescribeStream", allowThenDeny).allowed()).isTrue();
    }

    @Test
    void refusedByTheIdentityPolicy() {
        PolicyDocument grant = streamPolicy("Allow", "{\"AWS\":\"" + READER + "\"}", "kinesis:*");
        Decision none = reader(null, "kinesis:GetRecords", grant);
        assertThat(none.reason()).isEqualTo(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS);
        assertThat(none.message()).endsWith("because no identity-based policy allows the kinesis:GetRecords action");
        // The identity policy does not cover PutRecord, though the stream's policy would allow it.
        assertThat(reader(READER_MAY_READ_ANY_STREAM, "kinesis:PutRecord", grant).reason())
                .isEqualTo(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS);
        PolicyDocument denying = PolicyDocument.parseIdentityPolicy("{\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Action\":\"kinesis:*\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Deny\",\"Action\":\"kinesis:*\",\"Resource\":\"arn:aws:kinesis:*:111122223333:*\"}]}");
        assertThat(reader(denying, "kinesis:GetRecords", grant).reason())
                .isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY);
    }

    @Test
    void sameAccountEitherPolicySufficesButAnAccountPrincipalOnlyDelegates() {
        Caller app = new Caller(OWNER_USER, OWNER_ACCOUNT, null);
        PolicyDocument namesUser = streamPolicy("Allow", "{\"AWS\":\"" + OWNER_USER + "\"}", "kinesis:PutRecord");
        assertThat(PolicyEvaluator.evaluate(app, "kinesis:PutRecord", ORDERS, OWNER_ACCOUNT, namesUser,
                RequestContext.EMPTY).allowed()).isTrue();
        PolicyDocument namesEveryone = streamPolicy("Allow", "\"*\"", "kinesis:PutRecord");
        assertThat(PolicyEvaluator.evaluate(app, "kinesis:PutRecord", ORDERS, OWNER_ACCOUNT, namesEveryone,
                RequestContext.EMPTY).allowed()).isTrue();
        for (String account : new String[] {"\"arn:aws:iam::111122223333:root\"", "\"111122223333\""}) {
            PolicyDocument namesAccount = streamPolicy("Allow", "{\"AWS\":" + account + "}", "kinesis:PutRecord");
            Decision decision = PolicyEvaluator.evaluate(app, "kinesis:PutRecord", ORDERS, OWNER_ACCOUNT,
                    namesAccount, RequestContext.EMPTY);
            assertThat(decision.reason()).as(account).isEqualTo(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS);
        }
        // And a same-account deny in the resource policy beats the identity policy's allow.
        Caller admin = new Caller(OWNER_USER, OWNER_ACCOUNT, PolicyDocument.parseIdentityPolicy(
                "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"));
        PolicyDocument deny = streamPolicy("Deny", "{\"AWS\":\"111122223333\"}", "kinesis:DeleteStream");
        assertThat(PolicyEvaluator.evaluate(admin, "kinesis:DeleteStream", ORDERS, OWNER_ACCOUNT, deny,
                RequestContext.EMPTY).reason()).isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY);
        assertThat(PolicyEvaluator.evaluate(admin, "kinesis:PutRecord", ORDERS, OWNER_ACCOUNT, deny,
                RequestContext.EMPTY).allowed()).isTrue();
    }

    @Test
    void notPrincipalAppliesToEveryoneElse() {
        PolicyDocument denyAllButApp = PolicyDocument.parseResourcePolicy("{\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kinesis:*\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" + OWNER_USER + "\"},\"Action\":\"kinesis:Put*\","
                + "\"Resource\":\"*\"}]}");
        PolicyDocument readerMayPut = PolicyDocument.parseIdentityPolicy(
                "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kinesis:*\",\"Resource\":\"*\"}}");
        assertThat(reader(readerMayPut, "kinesis:PutRecord", denyAllButApp).reason())
                .isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY);
        assertThat(reader(readerMayPut, "kinesis:GetRecords", denyAllButApp).allowed()).isTrue();
        assertThat(PolicyEvaluator.evaluate(new Caller(OWNER_USER, OWNER_ACCOUNT, null), "kinesis:PutRecord", ORDERS,
                OWNER_ACCOUNT, denyAllButApp, RequestContext.EMPTY).allowed()).isTrue();
    }
}
