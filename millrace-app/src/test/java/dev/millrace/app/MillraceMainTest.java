package dev.millrace.app;

import dev.millrace.server.ServerConfig;
import dev.millrace.storage.log.DurabilityPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MillraceMainTest {

    private static ServerCommand parse(String... args) {
        CommandLine cl = MillraceMain.commandLine();
        CommandLine.ParseResult result = cl.parseArgs(args);
        return (ServerCommand) result.subcommand().commandSpec().userObject();
    }

    @Test
    void defaults() {
        ServerConfig config = parse("server").config();
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(4567);
        assertThat(config.dataDir()).isEqualTo(Path.of("millrace-data").toAbsolutePath());
        assertThat(config.transitionDelayMs()).isEqualTo(500);
        assertThat(config.shardLimit()).isEqualTo(10_000);
        assertThat(config.logConfig().durability()).isEqualTo(DurabilityPolicy.SYNC);
        assertThat(config.logConfig().dataDir()).isEqualTo(config.dataDir());
        assertThat(config.logConfig().maxOpenFiles()).isEqualTo(ServerCommand.defaultMaxOpenFiles())
                .isBetween(512, 32_768);
    }

    @Test
    void everyOption(@TempDir Path dir) {
        ServerConfig config = parse("server", "--port", "0", "--host", "0.0.0.0", "--data-dir", dir + "/./x/../d",
                "--transition-delay-ms", "0", "--durability", "interval", "--shard-limit", "7",
                "--max-open-files", "20000").config();
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isZero();
        assertThat(config.dataDir()).isEqualTo(dir.resolve("d"));
        assertThat(config.transitionDelayMs()).isZero();
        assertThat(config.shardLimit()).isEqualTo(7);
        assertThat(config.logConfig().durability()).isEqualTo(DurabilityPolicy.INTERVAL);
        assertThat(config.logConfig().dataDir()).isEqualTo(dir.resolve("d"));
        assertThat(config.logConfig().maxOpenFiles()).isEqualTo(20_000);
    }

    @Test
    void durabilityIsCaseInsensitive() {
        assertThat(parse("server", "--durability", "SYNC").config().logConfig().durability())
                .isEqualTo(DurabilityPolicy.SYNC);
    }

    @Test
    void outOfRangeValuesAreUsageErrors() {
        assertThatThrownBy(() -> parse("server", "--port", "70000").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--port");
        assertThatThrownBy(() -> parse("server", "--transition-delay-ms", "-1").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--transition-delay-ms");
        assertThatThrownBy(() -> parse("server", "--shard-limit", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--shard-limit");
        assertThatThrownBy(() -> parse("server", "--max-open-files", "3").config())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--max-open-files");
    }

    @Test
    void usageErrorsExitWithTwo() {
        CommandLine cl = MillraceMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("server", "--durability", "sometimes")).isEqualTo(2);
        assertThat(err.toString()).contains("--durability");
        assertThat(MillraceMain.commandLine().setErr(new PrintWriter(new StringWriter())).execute()).isEqualTo(2);
        assertThat(MillraceMain.commandLine().setErr(new PrintWriter(new StringWriter())).execute("nope"))
                .isEqualTo(2);
    }

    @Test
    void dataDirLockIsExclusive(@TempDir Path dir) throws Exception {
        try (DataDirLock lock = DataDirLock.acquire(dir)) {
            assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(DataDirLock.HeldException.class);
        }
        DataDirLock.acquire(dir).close();
    }

    @Test
    void ipv6HostsAreBracketedInUrls() {
        assertThat(ServerCommand.urlHost("::1")).isEqualTo("[::1]");
        assertThat(ServerCommand.urlHost("127.0.0.1")).isEqualTo("127.0.0.1");
    }
}
