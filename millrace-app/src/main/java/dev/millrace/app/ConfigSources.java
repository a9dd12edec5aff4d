package dev.millrace.app;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where {@code millrace server}'s options come from besides the command line: each option {@code --some-name} may
 * also be set by the environment variable {@code MILLRACE_SOME_NAME} or by the key {@code some-name} of the YAML
 * file named by {@code --config FILE} (or {@code MILLRACE_CONFIG}; {@link ConfigFile}). The command line wins over
 * the environment, the environment over the file, the file over the built-in default. picocli asks this provider
 * for the default of every option the command line did not give (after reading the command line, so that
 * {@code --config} is known by then).
 *
 * <p>A repeatable option takes its values comma-separated from the environment ({@code MILLRACE_CREATE_STREAM=a:2,b:1})
 * or as a list from the file; {@code --kafka-property}, a map, takes {@code KEY=VALUE} lines from the environment, a
 * mapping from the file, and is merged key by key across the three sources, each key taking its value from the
 * highest one that sets it ({@link #entries}). Where each value came from is remembered, so that an error about it can
 * say ({@link #annotate}).
 *
 * <p>Not thread-safe: picocli calls it while parsing, and {@link ServerCommand} reads it after, on one thread.
 */
final class ConfigSources implements CommandLine.IDefaultValueProvider {
    static final String ENV_PREFIX = "MILLRACE_";
    static final String CONFIG_OPTION = "--config";
    /** Options that come from the command line only. */
    private static final Set<String> COMMAND_LINE_ONLY = Set.of("--help", "--version");
    private static final Pattern OPTION_NAME = Pattern.compile("--[a-z0-9][a-z0-9-]*");

    private final Map<String, String> env;
    private final CommandSpec spec;
    private final Map<String, String> sources = new LinkedHashMap<>();
    private ConfigFile file;
    private boolean fileRead;

    /** The sources of {@code spec}'s options (the server command): {@code env} and the file it names. */
    ConfigSources(Map<String, String> env, CommandSpec spec) {
        this.env = Map.copyOf(env);
        this.spec = spec;
    }

    /** {@code --some-name}'s environment variable: {@code MILLRACE_SOME_NAME}. */
    static String envName(String option) {
        return ENV_PREFIX + option.replaceFirst("^-+", "").toUpperCase(Locale.ROOT).replace('-', '_');
    }

    @Override
    public String defaultValue(ArgSpec arg) throws Exception {
        if (!(arg instanceof OptionSpec option) || !option.longestName().startsWith("--")
                || COMMAND_LINE_ONLY.contains(option.longestName()) || option.typeInfo().isMap()) {
            return null;
        }
        String name = option.longestName();
        String envName = envName(name);
        String fromEnv = env.get(envName);
        if (fromEnv != null) {
            sources.put(name, "environment variable " + envName);
            return fromEnv;
        }
        if (name.equals(CONFIG_OPTION)) {
            return null;
        }
        ConfigFile.Value value = file() == null ? null : file.get(name.substring(2));
        if (value == null) {
            return null;
        }
        sources.put(name, "config file " + file.path() + " line " + value.line());
        if (value.text() != null) {
            return value.text();
        }
        if (!option.isMultiValue() || value.mapping()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "config file " + file.path() + " line "
                    + value.line() + ": key '" + name.substring(2) + "' takes one plain value, not a "
                    + (value.mapping() ? "mapping" : "list"));
        }
        return String.join(",", value.items());
    }

    /**
     * The entries of a map option ({@code --kafka-property}) from the file (a mapping, or a list of
     * {@code KEY=VALUE}) and the environment ({@code KEY=VALUE} lines), merged key by key with the environment's
     * value winning; empty if neither gives it. The caller puts the command line's entries over these, key by key,
     * so that {@code --kafka-property sasl.jaas.config=...} changes one setting and keeps the file's others.
     */
    Map<String, String> entries(String option) throws CommandLine.ParameterException {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> from = new ArrayList<>();
        if (file() != null && file.get(option.substring(2)) != null) {
            ConfigFile.Value value = file.get(option.substring(2));
            String source = "config file " + file.path() + " line " + value.line();
            putItems(out, option, value.text() != null ? List.of(value.text()) : value.items(), source);
            from.add(source);
        }
        String envName = envName(option);
        if (env.get(envName) != null) {
            String source = "environment variable " + envName;
            putItems(out, option, env.get(envName).lines().map(String::strip).filter(l -> !l.isEmpty()).toList(),
                    source);
            from.add(0, source);
        }
        if (!from.isEmpty()) {
            sources.put(option, String.join(" and ", from));
        }
        return out;
    }

    private void putItems(Map<String, String> out, String option, List<String> items, String source)
            throws CommandLine.ParameterException {
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), option + " takes KEY=VALUE, not '"
                        + item + "' (from " + source + ")");
            }
            out.put(item.substring(0, eq).strip(), item.substring(eq + 1).strip());
        }
    }

    /** Where {@code option} got its value, if not from the command line or its default: null then. */
    String sourceOf(String option) {
        return sources.get(option);
    }

    /** The options that took a value from the environment or the file. */
    Set<String> provided() {
        return sources.keySet();
    }

    /**
     * {@code message} with the source of each option it names that came from the environment or the file, so that
     * "--port must be between 0 and 65535, not 70000" says which variable or line to fix.
     */
    String annotate(String message) {
        List<String> from = new ArrayList<>();
        Matcher m = OPTION_NAME.matcher(message);
        while (m.find()) {
            String source = sources.get(m.group());
            String said = m.group() + " from " + source;
            if (source != null && !from.contains(said)) {
                from.add(said);
            }
        }
        return from.isEmpty() ? message : message + " (" + String.join("; ", from) + ")";
    }

    /** The config file, read on first use; {@code null} without {@code --config} or {@code MILLRACE_CONFIG}. */
    private ConfigFile file() throws CommandLine.ParameterException {
        if (fileRead) {
            return file;
        }
        fileRead = true;
        OptionSpec option = spec.findOption(CONFIG_OPTION);
        Object given = option == null ? null : option.getValue();
        Path path = given instanceof Path p ? p : env.get(envName(CONFIG_OPTION)) != null
                ? Path.of(env.get(envName(CONFIG_OPTION))) : null;
        if (path == null) {
            return null;
        }
        List<String> keys = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (name.startsWith("--") && !COMMAND_LINE_ONLY.contains(name) && !name.equals(CONFIG_OPTION)) {
                keys.add(name.substring(2));
            }
        }
        try {
            file = ConfigFile.read(path, keys);
        } catch (ConfigFile.Problem e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return file;
    }

    /** Whether the config file was named and read (for {@link ServerCommand}'s start line). */
    Path filePath() {
        return file == null ? null : file.path();
    }
}
