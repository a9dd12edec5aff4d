package dev.millrace.app;

import dev.millrace.cli.DescribeCommand;
import dev.millrace.cli.PutCommand;
import dev.millrace.cli.StreamsCommand;
import dev.millrace.cli.TailCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Map;

/**
 * The {@code millrace} command line. {@code millrace server …} runs a node ({@link ServerCommand}); the launcher
 * script {@code ./millrace} at the repository root runs this class from {@code millrace-app/target/millrace.jar}.
 *
 * <p>Exit codes: 0 after a clean stop (SIGTERM or SIGINT), 1 if the server could not start or failed, 2 for a usage
 * error (on the command line, in an environment variable {@code MILLRACE_*} or in the {@code --config} file). The
 * client commands ({@code streams}, {@code describe}, {@code tail}, {@code put}, from millrace-cli) list their own
 * exit codes in their {@code --help}, as does {@code health} ({@link HealthCommand}, the container's health check).
 *
 * <p>Not thread-safe; {@link #main} is called once.
 */
@Command(name = "millrace", mixinStandardHelpOptions = true, versionProvider = MillraceMain.Version.class,
        description = "A self-hosted server that speaks the Amazon Kinesis Data Streams API.",
        subcommands = {ServerCommand.class, CommandLine.HelpCommand.class,
            StreamsCommand.class, DescribeCommand.class, TailCommand.class, PutCommand.class, HealthCommand.class})
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
        return commandLine(System.getenv());
    }

    /**
     * The command line, with {@code millrace server}'s options also read from {@code env} ({@code MILLRACE_*}) and
     * the config file ({@link ConfigSources}). A usage error about a value from either is one line that names where
     * the value came from, without the usage help (the command line was not the problem); exit code 2 as for any
     * usage error.
     */
    static CommandLine commandLine(Map<String, String> env) {
        CommandLine cl = new CommandLine(new MillraceMain()).setCaseInsensitiveEnumValuesAllowed(true);
        CommandLine server = cl.getSubcommands().get("server");
        server.setDefaultValueProvider(new ConfigSources(env, server.getCommandSpec()));
        CommandLine.IParameterExceptionHandler standard = cl.getParameterExceptionHandler();
        cl.setParameterExceptionHandler((ex, args) -> {
            String message = fromConfigSources(ex);
            if (message == null) {
                return standard.handleParseException(ex, args);
            }
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("millrace: " + message);
            err.println("See 'millrace server --help' for the options.");
            err.flush();
            return ex.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        return cl;
    }

    /**
     * The message of a usage error caused by a value from the environment or the config file, naming its source;
     * {@code null} for one about the command line.
     */
    private static String fromConfigSources(CommandLine.ParameterException ex) {
        String message = String.valueOf(ex.getMessage());
        if (!(ex.getCommandLine().getCommandSpec().defaultValueProvider() instanceof ConfigSources sources)) {
            return null;
        }
        if (ex.getArgSpec() instanceof CommandLine.Model.OptionSpec option
                && sources.sourceOf(option.longestName()) != null) {
            String source = sources.sourceOf(option.longestName());
            return message.contains(source) ? message : message + " (from " + source + ")";
        }
        boolean aboutSources = message.startsWith("config file ") || message.startsWith(ConfigSources.CONFIG_OPTION
                + " ") || message.contains(" from environment variable " + ConfigSources.ENV_PREFIX)
                || message.contains(" from config file ");
        return aboutSources ? message : null;
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
