package dev.millrace.auth.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each supported condition operator, true and false, with IAM's rules for absent keys (false; true for negated
 * operators and IfExists; Null tests absence), multiple values (OR; none for negated) and the set qualifiers.
 */
class ConditionsTest {
    private static final String USER = "arn:aws:iam::111122223333:user/producer";
    private static final String ORDERS = "arn:aws:kinesis:us-east-1:111122223333:stream/orders";

    private static boolean allowed(String condition, RequestContext context) {
        PolicyDocument policy = PolicyDocument.parseIdentityPolicy("{\"Statement\":{\"Effect\":\"Allow\","
                + "\"Action\":\"kinesis:*\",\"Resource\":\"*\",\"Condition\":" + condition + "}}");
        return PolicyEvaluator.evaluate(new Caller(USER, "111122223333", policy), "kinesis:PutRecord", ORDERS,
                null, null, context).allowed();
    }

    private static RequestContext context(String key, String... values) {
        return RequestContext.builder().put(key, List.of(values)).build();
    }

    @ParameterizedTest(name = "{0} {1} {2} vs {3} -> {4}")
    @CsvSource(delimiter = '|', value = {
        "StringEquals | aws:username | \"producer\" | producer | true",
        "StringEquals | aws:username | \"producer\" | Producer | false",
        "StringEquals | AWS:USERNAME | [\"a\",\"producer\"] | producer | true",
        "StringNotEquals | aws:username | [\"a\",\"b\"] | producer | true",
        "StringNotEquals | aws:username | [\"a\",\"producer\"] | producer | false",
        "StringEqualsIgnoreCase | aws:username | \"PRODUCER\" | producer | true",
        "StringNotEqualsIgnoreCase | aws:username | \"PRODUCER\" | producer | false",
        "StringLike | aws:username | \"prod*\" | producer | true",
        "StringLike | aws:username | \"prod?cer\" | producer | true",
        "StringLike | aws:username | \"PROD*\" | producer | false",
        "StringNotLike | aws:username | \"cons*\" | producer | true",
        "StringNotLike | aws:username | \"prod*\" | producer | false",
        "NumericEquals | kinesis:ShardCount | 4 | 4.0 | true",
        "NumericNotEquals | kinesis:ShardCount | \"4\" | 5 | true",
        "NumericLessThan | kinesis:ShardCount | 4 | 3 | true",
        "NumericLessThan | kinesis:ShardCount | 4 | 4 | false",
        "NumericLessThanEquals | kinesis:ShardCount | 4 | 4 | true",
        "NumericGreaterThan | kinesis:ShardCount | 4 | 4 | false",
        "NumericGreaterThanEquals | kinesis:ShardCount | 4 | 4 | true",
        "NumericLessThan | kinesis:ShardCount | 4 | many | false",
        "DateLessThan | aws:CurrentTime | \"2026-12-31T00:00:00Z\" | 2026-06-01T12:00:00Z | true",
        "DateLessThan | aws:CurrentTime | \"2026-12-31T00:00:00Z\" | 2027-01-01T00:00:00Z | false",
        "DateGreaterThan | aws:CurrentTime | \"2026-01-01\" | 2026-06-01T12:00:00+02:00 | true",
        "DateEquals | aws:EpochTime | \"1700000000\" | 2023-11-14T22:13:20Z | true",
        "DateNotEquals | aws:CurrentTime | 1700000000 | 2023-11-14T22:13:21Z | true",
        "DateLessThanEquals | aws:CurrentTime | \"2026-01-01T00:00:00Z\" | 2026-01-01T00:00:00Z | true",
        "DateGreaterThanEquals | aws:CurrentTime | \"2026-01-01T00:00:00Z\" | 2025-12-31T23:59:59Z | false",
        "Bool | aws:SecureTransport | \"true\" | true | true",
        "Bool | aws:SecureTransport | true | false | false",
        "Bool | aws:SecureTransport | \"true\" | TRUE | true",
        "BinaryEquals | kinesis:blob | \"QmluYXJ5\" | QmluYXJ5 | true",
        "BinaryEquals | kinesis:blob | \"QmluYXJ5\" | QmluYXJ6 | false",
        "IpAddress | aws:SourceIp | \"10.1.0.0/16\" | 10.1.200.7 | true",
        "IpAddress | aws:SourceIp | \"10.1.0.0/16\" | 10.2.0.1 | false",
        "IpAddress | aws:SourceIp | \"10.1.2.3\" | 10.1.2.3 | true",
        "IpAddress | aws:SourceIp | \"192.168.0.0/20\" | 192.168.15.255 | true",
        "IpAddress | aws:SourceIp | \"192.168.0.0/20\" | 192.168.16.0 | false",
        "IpAddress | aws:SourceIp | \"2001:db8::/32\" | 2001:db8:1::5 | true",
        "IpAddress | aws:SourceIp | \"2001:db8::/32\" | 10.0.0.1 | false",
        "IpAddress | aws:SourceIp | \"0.0.0.0/0\" | not-an-address | false",
        "NotIpAddress | aws:SourceIp | \"10.0.0.0/8\" | 192.0.2.1 | true",
        "NotIpAddress | aws:SourceIp | \"10.0.0.0/8\" | 10.9.9.9 | false",
        "ArnEquals | aws:PrincipalArn | \"arn:aws:iam::111122223333:user/producer\" | arn:aws:iam::111122223333:user/producer | true",
        "ArnLike | aws:PrincipalArn | \"arn:aws:iam::*:user/prod*\" | arn:aws:iam::111122223333:user/producer | true",
        "ArnLike | aws:PrincipalArn | \"arn:aws:iam::*:user/prod*\" | arn:aws:iam::111122223333:role/producer | false",
        "ArnLike | aws:SourceArn | \"arn:aws:kinesis:*:111122223333:stream/*\" | arn:aws:kinesis:us-east-1:111122223333:stream/orders | true",
        "ArnLike | aws:SourceArn | \"arn:aws:kinesis:*:111122223333:stream/*\" | arn:aws:kinesis:us-east-1:444455556666:stream/orders | false",
        "ArnLike | aws:SourceArn | \"arn:aws:kinesis:*:111122223333:stream/*\" | not-an-arn | false",
        "ArnNotEquals | aws:PrincipalArn | \"arn:aws:iam::111122223333:user/other\" | arn:aws:iam::111122223333:user/producer | true",
        "ArnNotLike | aws:PrincipalArn | \"arn:aws:iam::*:user/*\" | arn:aws:iam::111122223333:user/producer | false",
    })
    void operatorsOnAPresentKey(String operator, String key, String policyValues, String requestValue,
            boolean expected) {
        String condition = "{\"" + operator + "\":{\"" + key + "\":" + policyValues + "}}";
        assertThat(allowed(condition, context(key, requestValue))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} on an absent key -> {1}")
    @CsvSource(delimiter = '|', value = {
        "StringEquals | false",
        "StringLike | false",
        "StringNotEquals | true",
        "StringNotLike | true",
        "ArnNotLike | true",
        "StringEqualsIfExists | true",
        "StringNotEqualsIfExists | true",
        "ForAnyValue:StringEquals | false",
        "ForAnyValue:StringEqualsIfExists | true",
        "ForAllValues:StringEquals | true",
    })
    void absentKeys(String operator, boolean expected) {
        String condition = "{\"" + operator + "\":{\"kinesis:Tag\":\"a\"}}";
        assertThat(allowed(condition, RequestContext.EMPTY)).isEqualTo(expected);
        // The same operator with the key present and not matching is false (except the negated ones, true).
        boolean negated = operator.contains("Not");
        assertThat(allowed(condition, context("kinesis:Tag", "zzz"))).isEqualTo(negated);
    }

    @Test
    void nullTestsPresence() {
        String mustBeAbsent = "{\"Null\":{\"aws:SourceIp\":\"true\"}}";
        String mustBePresent = "{\"Null\":{\"aws:SourceIp\":false}}";
        RequestContext present = context("aws:SourceIp", "10.0.0.1");
        assertThat(allowed(mustBeAbsent, RequestContext.EMPTY)).isTrue();
        assertThat(allowed(mustBeAbsent, present)).isFalse();
        assertThat(allowed(mustBePresent, RequestContext.EMPTY)).isFalse();
        assertThat(allowed(mustBePresent, present)).isTrue();
    }

    @Test
    void ifExistsAppliesTheOperatorWhenTheKeyIsThere() {
        String condition = "{\"StringEqualsIfExists\":{\"aws:username\":\"producer\"}}";
        assertThat(allowed(condition, context("aws:username", "producer"))).isTrue();
        assertThat(allowed(condition, context("aws:username", "other"))).isFalse();
    }

    @Test
    void setQualifiersOnMultivaluedKeys() {
        String any = "{\"ForAnyValue:StringEquals\":{\"kinesis:Tags\":[\"red\",\"blue\"]}}";
        String all = "{\"ForAllValues:StringEquals\":{\"kinesis:Tags\":[\"red\",\"blue\"]}}";
        assertThat(allowed(any, context("kinesis:Tags", "green", "blue"))).isTrue();
        assertThat(allowed(any, context("kinesis:Tags", "green", "pink"))).isFalse();
        assertThat(allowed(any, context("kinesis:Tags"))).isFalse();
        assertThat(allowed(all, context("kinesis:Tags", "red", "blue"))).isTrue();
        assertThat(allowed(all, context("kinesis:Tags", "red", "green"))).isFalse();
        assertThat(allowed(all, context("kinesis:Tags"))).isTrue();
        String noneOf = "{\"ForAllValues:StringNotEquals\":{\"kinesis:Tags\":[\"secret\"]}}";
        assertThat(allowed(noneOf, context("kinesis:Tags", "red", "blue"))).isTrue();
        assertThat(allowed(noneOf, context("kinesis:Tags", "red", "secret"))).isFalse();
    }

    @Test
    void everyOperatorAndEveryKeyMustHold() {
        String condition = "{\"StringEquals\":{\"aws:username\":\"producer\",\"aws:RequestedRegion\":\"us-east-1\"},"
                + "\"Bool\":{\"aws:SecureTransport\":\"true\"}}";
        RequestContext all = RequestContext.builder().put("aws:username", "producer")
                .requestedRegion("us-east-1").secureTransport(true).build();
        assertThat(allowed(condition, all)).isTrue();
        RequestContext insecure = RequestContext.builder().put("aws:username", "producer")
                .requestedRegion("us-east-1").secureTransport(false).build();
        assertThat(allowed(condition, insecure)).isFalse();
        RequestContext otherRegion = RequestContext.builder().put("aws:username", "producer")
                .requestedRegion("eu-west-1").secureTransport(true).build();
        assertThat(allowed(condition, otherRegion)).isFalse();
    }

    @Test
    void timeComesFromTheContextBuilder() {
        String beforeEnd = "{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-12-31T00:00:00Z\"},"
                + "\"NumericGreaterThan\":{\"aws:EpochTime\":1700000000}}";
        assertThat(allowed(beforeEnd, RequestContext.builder().currentTime(Instant.parse("2026-06-01T00:00:00Z"))
                .build())).isTrue();
        assertThat(allowed(beforeEnd, RequestContext.builder().currentTime(Instant.parse("2027-06-01T00:00:00Z"))
                .build())).isFalse();
        assertThat(allowed(beforeEnd, RequestContext.builder().currentTime(Instant.ofEpochSecond(1_600_000_000L))
                .build())).isFalse();
    }

    @Test
    void aDenyWithAConditionAppliesOnlyWhenItHolds() {
        PolicyDocument policy = PolicyDocument.parseIdentityPolicy("{\"Statement\":["
                + "{\"Effect\":\"Allow\",\"Action\":\"kinesis:*\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Deny\",\"Action\":\"kinesis:*\",\"Resource\":\"*\","
                + "\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"192.168.0.0/16\"]}}}]}");
        Caller caller = new Caller(USER, "111122223333", policy);
        assertThat(PolicyEvaluator.evaluate(caller, "kinesis:PutRecord", ORDERS, null, null,
                RequestContext.builder().sourceIp("10.3.4.5").build()).allowed()).isTrue();
        assertThat(PolicyEvaluator.evaluate(caller, "kinesis:PutRecord", ORDERS, null, null,
                RequestContext.builder().sourceIp("203.0.113.9").build()).reason())
                .isEqualTo(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY);
    }
}
