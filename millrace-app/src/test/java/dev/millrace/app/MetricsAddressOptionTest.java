package dev.millrace.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static dev.millrace.app.MillraceMainTest.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --metrics-address HOST:PORT}: absent by default (the API port serves /metrics), parsed, or a usage error. */
class MetricsAddressOptionTest {
    @Test
    void absentByDefault() {
        assertThat(parse("server").config().metricsAddress()).isNull();
    }

    @Test
    void hostAndPort() {
        var address = parse("server", "--metrics-address", "0.0.0.0:9400").config().metricsAddress();
        assertThat(address.getHostString()).isEqualTo("0.0.0.0");
        assertThat(address.getPort()).isEqualTo(9400);
        var v6 = parse("server", "--metrics-address", "[::1]:0").config().metricsAddress();
        assertThat(v6.getHostString()).isEqualTo("::1");
        assertThat(v6.getPort()).isZero();
    }

    @Test
    void anythingElseIsAUsageError() {
        for (String bad : new String[] {"9400", ":9400", "host:", "host:http", "host:70000", "host:-1"}) {
            assertThatThrownBy(() -> parse("server", "--metrics-address", bad).config())
                    .as(bad).isInstanceOf(CommandLine.ParameterException.class)
                    .hasMessageContaining("--metrics-address must be HOST:PORT");
        }
    }

    @Test
    void metricsRetentionIsADayByDefaultAndBounded() {
        assertThat(parse("server").config().metricsRetentionHours()).isEqualTo(24);
        assertThat(parse("server", "--metrics-retention-hours", "168").config().metricsRetentionHours())
                .isEqualTo(168);
        for (String bad : new String[] {"0", "-1", "10921"}) {
            assertThatThrownBy(() -> parse("server", "--metrics-retention-hours", bad).config())
                    .as(bad).isInstanceOf(CommandLine.ParameterException.class)
                    .hasMessageContaining("--metrics-retention-hours must be 1 to 10920");
        }
    }
}
