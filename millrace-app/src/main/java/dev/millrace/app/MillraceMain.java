package dev.millrace.app;

import dev.millrace.cli.DescribeCommand;
import dev.millrace.cli.PutCommand;
import dev.millrace.cli.StreamsCommand;
import dev.millrace.cli.TailCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code millrace} command line. {@code millrace server …} runs a node ({@link ServerCommand}); the launcher
 * script {@code ./millrace} at the repository root runs this class from {@code millrace-app/target/millrace.jar}.
 *
 * <p>Exit codes: 0 after a clean stop (SIGTERM or SIGINT), 1 if the server could not start or failed, 2 for a usage
 * error. The client commands ({@code streams}, {@code describe}, {@code tail}, {@code put}, from millrace-cli) list
 * their own exit codes in their {@code --help}.
 *
 * <p>Not thread-safe; {@link #main} is called once.
 */
@Command(name = "millrace", mixinStandardHelpOptions = true, versionProvider = MillraceMain.Version.class,
        description = "A self-hosted server that speaks the Amazon Kinesis Data Streams API.",
        subcommands = {ServerCommand.class, CommandLine.HelpCommand.class,
            StreamsCommand.class, DescribeCommand.class, TailCommand.class, PutCommand.class})
public final class MillraceMain implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Parses and runs {@code args}; returns the exit code. */
    static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        return new CommandLine(new MillraceMain()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** {@code millrace} alone: a subcommand is required. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand (try: server)");
    }

    /** The version from the jar manifest ({@code Implementation-Version}), or "development" outside the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = MillraceMain.class.getPackage().getImplementationVersion();
            return new String[] {"millrace " + (version == null ? "development" : version)};
        }
    }
}
