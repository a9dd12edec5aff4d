package dev.millrace.loadgen;

import dev.millrace.loadgen.BenchSettings.HttpVersion;
import dev.millrace.loadgen.BenchSettings.Readers;
import dev.millrace.loadgen.BenchSettings.WireProtocol;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Option parsing and validation of {@code millrace bench}, without a server: every invalid combination is a usage
 * error (exit 2) naming the option, before anything is sent.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class BenchCommandTest {
    /** Parses {@code bench ARGS} and returns the settings, or throws picocli's usage error. */
    private static BenchSettings parse(String... args) {
        CommandLine root = LoadgenMain.commandLine();
        CommandLine.ParseResult result = root.parseArgs(prepend(args));
        BenchCommand bench = result.subcommand().commandSpec().commandLine().getCommand();
        return bench.settings();
    }

    private static String[] prepend(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        return all;
    }

    /** Runs the command line and returns its exit status and stderr. */
    private static Object[] run(String... args) {
        CommandLine root = LoadgenMain.commandLine();
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        root.setErr(new PrintWriter(err));
        root.setOut(new PrintWriter(out));
        int status = root.execute(args);
        return new Object[] {status, err.toString(), out.toString()};
    }

    @Test
    void defaultsShouldBeAValidClosedLoopRunAgainstALocalEndpoint() {
        BenchSettings s = parse();
        assertThat(s.problems()).isEmpty();
        assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:4567"));
        assertThat(s.streams()).isEqualTo(1);
        assertThat(s.shards()).isEqualTo(4);
        assertThat(s.recordBytes()).isEqualTo(100);
        assertThat(s.batchSize()).isEqualTo(500);
        assertThat(s.durationS()).isEqualTo(30);
        assertThat(s.records()).isEmpty();
        assertThat(s.rate()).isEmpty();
        assertThat(s.openLoop()).isFalse();
        assertThat(s.readers()).isEqualTo(Readers.POLLING);
        assertThat(s.protocol()).isEqualTo(WireProtocol.CBOR);
        assertThat(s.http()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(s.readClient()).isEqualTo(BenchSettings.ReadClient.LEAN);
        assertThat(s.putClient()).isEqualTo(BenchSettings.PutClient.SDK);
        assertThat(s.serverPid()).isEmpty();
    }

    @Test
    void shouldParseEveryOption() {
        BenchSettings s = parse("--endpoint", "http://localhost:4600", "--region", "eu-west-1", "--streams", "2",
                "--shards", "8", "--record-bytes", "1024", "--batch-size", "1", "--concurrency", "64",
                "--records", "1000", "--warmup-s", "0", "--rate", "1000", "--readers", "FANOUT", "--protocol", "json",
                "--http", "2", "--server-pid", "123", "--json", "--keep-streams", "--poll-idle-ms", "5");
        assertThat(s.endpoint()).isEqualTo(URI.create("http://localhost:4600"));
        assertThat(s.region()).isEqualTo("eu-west-1");
        assertThat(s.singleRecordPuts()).isTrue();
        assertThat(s.records()).hasValue(1000);
        assertThat(s.rate()).hasValue(1000.0);
        assertThat(s.openLoop()).isTrue();
        assertThat(s.readers()).isEqualTo(Readers.FANOUT);
        assertThat(s.protocol()).isEqualTo(WireProtocol.JSON);
        assertThat(s.http()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(s.serverPid()).hasValue(123);
        assertThat(s.json()).isTrue();
        assertThat(s.keepStreams()).isTrue();
        assertThat(parse("--endpoint", "aws").endpoint()).isNull();
        assertThat(parse("--http", "HTTP/1.1").http()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(parse("--read-client", "sdk", "--http", "2").readClient()).isEqualTo(BenchSettings.ReadClient.SDK);
    }

    @Test
    void shouldRejectEachBrokenRuleNamingItsOption() {
        assertUsageError("--record-bytes", "--record-bytes", "15");
        assertUsageError("--record-bytes must be 93..", "--payload", "json", "--record-bytes", "92");
        assertUsageError("--payload must be binary or json", "--payload", "xml");
        assertUsageError("--batch-size", "--batch-size", "501");
        assertUsageError("--batch-size", "--batch-size", "0");
        assertUsageError("--records must be a multiple of --batch-size", "--records", "750");
        assertUsageError("exclude each other", "--records", "1000", "--duration-s", "10");
        assertUsageError("--rate", "--rate", "0");
        assertUsageError("--concurrency", "--concurrency", "0");
        assertUsageError("--sender-threads", "--concurrency", "2", "--sender-threads", "3");
        assertUsageError("--read-backlog", "--readers", "none", "--read-backlog");
        assertUsageError("--endpoint", "--endpoint", "ftp://example.com");
        assertUsageError("--stream-prefix", "--stream-prefix", "no spaces");
        assertUsageError("10 MiB", "--batch-size", "500", "--record-bytes", "1048576");
        assertUsageError("--http", "--http", "3");
        assertUsageError("--readers", "--readers", "sometimes");
        assertUsageError("--read-client lean speaks HTTP/1.1 only", "--http", "2");
        assertUsageError("--read-client", "--read-client", "curl");
        assertUsageError("--put-client lean speaks HTTP/1.1 only", "--put-client", "lean", "--http", "2");
        assertUsageError("--recovery-rate needs an open-loop run", "--recovery-rate", "10");
        assertUsageError("--put-client lean speaks HTTP/1.1 only", "--put-client", "lean", "--batch-size", "1",
                "--http", "2", "--readers", "none");
    }

    private static void assertUsageError(String expectedMessage, String... args) {
        Object[] result = run(prepend(args));
        assertThat(result[0]).as("exit status of %s", String.join(" ", args)).isEqualTo(2);
        assertThat((String) result[1]).as("stderr of %s", String.join(" ", args)).contains(expectedMessage);
        assertThat((String) result[2]).as("nothing on stdout").isEmpty();
    }

    @Test
    void settingsShouldListEveryProblemAtOnce() {
        BenchSettings ok = parse();
        BenchSettings bad = new BenchSettings(ok.endpoint(), ok.region(), false, 1, "p", 4, false, 8,
                RecordPayload.BINARY, 0, 1024, 16, 1,
                30, java.util.OptionalLong.empty(), 5, java.util.OptionalDouble.empty(), java.util.Optional.empty(),
                Readers.POLLING, false,
                10_000, 200, 60, WireProtocol.CBOR, HttpVersion.HTTP_1_1,
                BenchSettings.ReadClient.LEAN, BenchSettings.PutClient.SDK, 0, java.util.OptionalLong.empty(), false);
        assertThat(bad.problems()).hasSizeGreaterThanOrEqualTo(2);
        assertThatThrownBy(bad::validate).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--record-bytes").hasMessageContaining("--batch-size");
    }

    @Test
    void helpShouldMentionTheOptionsWithTheirUnits() {
        Object[] result = run("bench", "--help");
        assertThat(result[0]).isEqualTo(0);
        assertThat((String) result[2]).contains("--duration-s", "--record-bytes", "--rate", "--warmup-s",
                "--server-pid", "--readers", "--protocol", "--http", "--json", "intended send time");
        Object[] top = run("--help");
        assertThat((String) top[2]).contains("bench");
    }

    @Test
    void noSubcommandShouldBeAUsageError() {
        assertThat(run()[0]).isEqualTo(2);
    }
}
