package dev.millrace.loadgen;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The load generator's command line, run from {@code millrace-loadgen/target/millrace-loadgen.jar}; the launcher
 * {@code ./millrace bench ...} runs {@code java -jar millrace-loadgen.jar bench ...}. It is named {@code millrace}
 * so that help and errors read as the launcher's.
 *
 * <p>Exit codes: 0 when the run completed, 1 when it failed, 2 for a usage error.
 *
 * <p>Not thread-safe; {@link #main} is called once.
 */
@Command(name = "millrace", mixinStandardHelpOptions = true, versionProvider = LoadgenMain.Version.class,
        description = "The Millrace load generator.",
        subcommands = {BenchCommand.class, CommandLine.HelpCommand.class})
public final class LoadgenMain implements Runnable {
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
        return new CommandLine(new LoadgenMain()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** {@code millrace} alone: a subcommand is required. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand (try: bench)");
    }

    /** The version from the jar manifest ({@code Implementation-Version}), or "development" outside the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = LoadgenMain.class.getPackage().getImplementationVersion();
            return new String[] {"millrace bench " + (version == null ? "development" : version)};
        }
    }
}
