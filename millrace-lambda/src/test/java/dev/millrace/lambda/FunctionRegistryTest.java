package dev.millrace.lambda;

import dev.millrace.protocol.Account;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --function NAME=URL}: valid forms kept, every invalid one a startup error saying why; name resolution. */
class FunctionRegistryTest {

    @Test
    void keepsEachFunctionsUrl() {
        FunctionRegistry r = FunctionRegistry.parse(List.of("orders=http://127.0.0.1:9000/2015-03-31/functions/function"
                + "/invocations", "A-b_9=https://fn.example:8443/x?y=1"));
        assertThat(r.names()).containsExactly("A-b_9", "orders");
        assertThat(r.url("orders")).contains(URI.create("http://127.0.0.1:9000/2015-03-31/functions/function/"
                + "invocations"));
        assertThat(r.url("A-b_9")).contains(URI.create("https://fn.example:8443/x?y=1"));
        assertThat(r.url("nope")).isEmpty();
        assertThat(r.has("orders")).isTrue();
        assertThat(FunctionRegistry.parse(List.of("f=http://h/")).has("f")).isTrue();
        assertThat(FunctionRegistry.parse(List.of("f".repeat(64) + "=http://h/")).has("f".repeat(64))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders", "=http://h/", "bad name=http://h/", "dot.ted=http://h/",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff1=http://h/", "f=ftp://h/x", "f=/relative",
            "f=http:///nohost", "f=not a url", "f=", "f=mailto:x@y"})
    void anInvalidRegistrationIsAStartupErrorSayingWhy(String option) {
        assertThatThrownBy(() -> FunctionRegistry.parse(List.of(option))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageFindingMatch("function|NAME=URL");
    }

    @Test
    void aNameRegisteredTwiceIsRefused() {
        assertThatThrownBy(() -> FunctionRegistry.parse(List.of("f=http://a/", "f=http://b/")))
                .hasMessageContaining("registered twice");
    }

    @Test
    void resolvesEveryFormInTheAccountsRegionOnly() {
        Account a = new Account("us-gov-west-1", "123456789012");
        assertThat(FunctionRef.resolve("fn", a)).isEqualTo(new FunctionRef("fn", null));
        assertThat(FunctionRef.resolve("fn:$LATEST.PUBLISHED", a)).isEqualTo(new FunctionRef("fn", "$LATEST.PUBLISHED"));
        assertThat(FunctionRef.resolve("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn:3", a))
                .isEqualTo(new FunctionRef("fn", "3"));
        assertThat(FunctionRef.resolve("arn:aws:lambda:us-gov-west-1:123456789012:function:fn", a)).isNull();
        assertThat(FunctionRef.resolve("us-east-1:123456789012:function:fn", a)).isNull();
        assertThat(FunctionRef.resolve("123456789012:fn", a)).isEqualTo(new FunctionRef("fn", null));
        assertThat(FunctionRef.resolve("123456789012", a)).isEqualTo(new FunctionRef("123456789012", null));
        assertThat(FunctionRef.resolve("bad name", a)).isNull();
        assertThat(new FunctionRef("fn", "PROD").arn(a))
                .isEqualTo("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn:PROD");
        assertThat(FunctionRef.ofArn("arn:aws:lambda:eu-west-1:123456789012:function:fn:PROD"))
                .isEqualTo(new FunctionRef("fn", "PROD"));
        assertThat(FunctionRef.resolve("f".repeat(257), a)).isNull();
    }
}
