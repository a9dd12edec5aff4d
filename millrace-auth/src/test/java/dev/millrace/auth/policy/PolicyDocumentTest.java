package dev.millrace.auth.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Malformed policies are refused with a message that says what is wrong, as InvalidArgumentException. */
class PolicyDocumentTest {
    private static final String GOOD_STATEMENT =
            "{\"Effect\":\"Allow\",\"Action\":\"kinesis:PutRecord\",\"Resource\":\"*\"}";

    private static void assertMalformed(String json, PolicyDocument.Kind kind, String expectedText) {
        assertThatThrownBy(() -> PolicyDocument.parse(json, kind))
                .isInstanceOfSatisfying(MalformedPolicyException.class, e -> {
                    assertThat(e.errorType()).isEqualTo("InvalidArgumentException");
                    assertThat(e.httpStatus()).isEqualTo(400);
                    assertThat(e.getMessage()).contains(expectedText);
                });
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "not json | Syntax errors in policy.",
        "{\"Statement\": [ | Syntax errors in policy.",
        "`` | The policy document is empty",
        "[] | The policy document must be a JSON object",
        "{\"Statement\":[]} | Statement must not be an empty array",
        "{\"Version\":\"2012-10-17\"} | Missing required field Statement",
        "{\"Version\":\"2019-10-19\",\"Statement\":[]} | Version must be",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}],\"Statment\":1} | Unknown element \"Statment\"",
        "{\"Statement\":{\"Efect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}} | unknown element \"Efect\"",
        "{\"Statement\":{\"Action\":\"*\",\"Resource\":\"*\"}} | Missing required field Effect",
        "{\"Statement\":{\"Effect\":\"allow\",\"Action\":\"*\",\"Resource\":\"*\"}} | Invalid effect: allow",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}} | Policy statement must contain actions.",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}} | Policy statement must contain resources.",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"NotAction\":\"*\",\"Resource\":\"*\"}} | has both Action and NotAction",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"PutRecord\",\"Resource\":\"*\"}} | must be prefaced by a vendor",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kinesis:Put:Record\",\"Resource\":\"*\"}} | can contain only one colon",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kin*:PutRecord\",\"Resource\":\"*\"}} | Vendor kin* is not valid",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}} | Action must not be an empty array",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":7,\"Resource\":\"*\"}} | Action must be a string or an array",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"orders\"}} | Resource orders must be in ARN format or \"*\".",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}} | Duplicate field 'Effect'",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}} {} | Text follows",
        "{\"Statement\":[{\"Sid\":\"a\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},{\"Sid\":\"a\",\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]} | must be unique",
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"arn:aws:kinesis:*:*:stream/${aws:username}\"}} | Policy variables are not supported",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEqualz\":{\"aws:username\":\"a\"}}}} | Invalid Condition type : StringEqualz",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"NullIfExists\":{\"aws:username\":\"true\"}}}} | Invalid Condition type : NullIfExists",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:CurrentTime\":\"tomorrow\"}}}} | is not a date",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":{\"kinesis:x\":\"ten\"}}}} | is not a number",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/33\"}}}} | is not an IP address",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"example.com\"}}}} | is not an IP address",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"yes\"}}}} | is not true or false",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"username\":\"a\"}}}} | must be prefaced by a vendor",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:username\":[]}}}} | empty list of values",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:username\":{\"a\":1}}}}} | must be strings, numbers or booleans",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":[]}} | Condition must be a JSON object",
    })
    void malformedIdentityPoliciesAreRefused(String json, String expectedText) {
        assertMalformed(json, PolicyDocument.Kind.IDENTITY, expectedText);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}} | Missing required field Principal",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"someone\",\"Action\":\"*\",\"Resource\":\"*\"}} | Invalid principal in policy",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"1234\"},\"Action\":\"*\",\"Resource\":\"*\"}} | Invalid principal in policy: \"AWS\":\"1234\"",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/*\"},\"Action\":\"*\",\"Resource\":\"*\"}} | Invalid principal in policy",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"*\",\"Resource\":\"*\"}} | only \"AWS\" principals are supported",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{},\"Action\":\"*\",\"Resource\":\"*\"}} | is empty",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotPrincipal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}} | has both Principal and NotPrincipal",
    })
    void malformedResourcePoliciesAreRefused(String json, String expectedText) {
        assertMalformed(json, PolicyDocument.Kind.RESOURCE, expectedText);
    }

    @Test
    void anIdentityPolicyNamesNoPrincipal() {
        assertMalformed("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}}",
                PolicyDocument.Kind.IDENTITY, "Policy document should not specify a principal.");
    }

    @Test
    void sizeAndStatementCountAreBounded() {
        String big = "{\"Statement\":[" + GOOD_STATEMENT + "],\"Id\":\"" + "x".repeat(PolicyDocument.MAX_POLICY_CHARS)
                + "\"}";
        assertMalformed(big, PolicyDocument.Kind.IDENTITY, "at most " + PolicyDocument.MAX_POLICY_CHARS);
        String many = "{\"Statement\":[" + String.join(",", java.util.Collections.nCopies(
                PolicyDocument.MAX_STATEMENTS + 1, GOOD_STATEMENT)) + "]}";
        assertMalformed(many, PolicyDocument.Kind.IDENTITY, "101 statements");
        String atLimit = "{\"Statement\":[" + String.join(",", java.util.Collections.nCopies(
                PolicyDocument.MAX_STATEMENTS, GOOD_STATEMENT)) + "]}";
        assertThat(PolicyDocument.parseIdentityPolicy(atLimit).statements()).hasSize(PolicyDocument.MAX_STATEMENTS);
        String deep = "{\"Statement\":" + GOOD_STATEMENT + ",\"Condition\":" + "[".repeat(40) + "]".repeat(40) + "}";
        assertMalformed(deep, PolicyDocument.Kind.IDENTITY, "Syntax errors in policy.");
    }

    @Test
    void principalFormsAreAccepted() {
        PolicyDocument policy = PolicyDocument.parseResourcePolicy("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
                + "{\"AWS\":[\"*\",\"123456789012\",\"arn:aws:iam::123456789012:root\","
                + "\"arn:aws:iam::123456789012:user/reader\",\"arn:aws:iam::123456789012:role/lambda\"]},"
                + "\"Action\":\"kinesis:Get*\",\"Resource\":\"*\"}}");
        assertThat(policy.kind()).isEqualTo(PolicyDocument.Kind.RESOURCE);
        assertThat(policy.statements().get(0).effect()).isEqualTo(Effect.ALLOW);
    }
}
