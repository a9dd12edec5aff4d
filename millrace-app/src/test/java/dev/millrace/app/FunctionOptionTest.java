package dev.millrace.app;

import dev.millrace.lambda.FunctionRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.millrace.app.MillraceMainTest.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --function NAME=URL} and {@code --function-timeout}: into the server's config, from every source key by key,
 * and usage errors.
 */
class FunctionOptionTest {
    private static final String RIE = "http://127.0.0.1:9000/2015-03-31/functions/function/invocations";

    @TempDir
    Path dir;

    @Test
    void functionsGoIntoTheServersConfig() {
        FunctionRegistry functions = parse("server", "--function", "orders=" + RIE, "--function",
                "audit=https://fn.example/invoke?x=1").config().functions();
        assertThat(functions.names()).containsExactly("audit", "orders");
        assertThat(functions.url("orders")).contains(URI.create(RIE));
        assertThat(functions.url("audit")).contains(URI.create("https://fn.example/invoke?x=1"));
        assertThat(parse("server").config().functions().names()).isEmpty();
    }

    @Test
    void theConfigFileAndTheEnvironmentGiveFunctionsAndTheCommandLineWinsNameByName() throws IOException {
        Path file = dir.resolve("millrace.yaml");
        Files.writeString(file, """
                function:
                  orders: http://127.0.0.1:9001/invoke
                  audit: http://127.0.0.1:9002/invoke
                """);
        FunctionRegistry functions = ConfigSourcesTest.parse(Map.of("MILLRACE_FUNCTION",
                        "audit=http://127.0.0.1:9003/invoke\nbilling=http://127.0.0.1:9004/invoke"), "server",
                "--config", file.toString(), "--function", "orders=" + RIE).config().functions();
        assertThat(functions.names()).containsExactly("audit", "billing", "orders");
        assertThat(functions.url("orders")).as("command line over file").contains(URI.create(RIE));
        assertThat(functions.url("audit")).as("environment over file")
                .contains(URI.create("http://127.0.0.1:9003/invoke"));
    }

    @Test
    void anInvalidFunctionIsAUsageError() {
        assertThatThrownBy(() -> parse("server", "--function", "no spaces=" + RIE).config())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageStartingWith("--function function name 'no spaces' is invalid");
        assertThatThrownBy(() -> parse("server", "--function", "orders=ftp://127.0.0.1/x").config())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("not an absolute http or https URL");
        assertThatThrownBy(() -> parse("server", "--function", "orders").config())
                .isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void theFunctionTimeoutIsSixtySecondsUnlessGivenFromOneTo900() {
        assertThat(parse("server").config().functions().timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(parse("server", "--function-timeout", "3").config().functions().timeout())
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(ConfigSourcesTest.parse(Map.of("MILLRACE_FUNCTION_TIMEOUT", "900"), "server").config().functions()
                .timeout()).isEqualTo(Duration.ofSeconds(900));
        for (String bad : new String[] {"0", "901"}) {
            assertThatThrownBy(() -> parse("server", "--function-timeout", bad).config())
                    .isInstanceOf(CommandLine.ParameterException.class)
                    .hasMessage("--function-timeout " + bad + ": a function's timeout is 1 to 900 seconds");
        }
    }
}
