package dev.millrace.lambda;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The functions the server knows: a name, and the URL an invocation is POSTed to (a Lambda Runtime Interface
 * Emulator's {@code http://host:9000/2015-03-31/functions/function/invocations}, or any endpoint that answers as a
 * function does). They come from the server's configuration ({@code --function NAME=URL}, repeatable, or the config
 * file), not from an API: Millrace does not run functions. A function's ARN is
 * {@code arn:<partition>:lambda:<region>:<account>:function:NAME} in every account's region the server serves. An
 * invocation may run for {@link #timeout} ({@code --function-timeout}, as a Lambda function's Timeout), after which it
 * counts as a function error.
 *
 * <p>Immutable, thread-safe.
 */
public final class FunctionRegistry {
    /** Lambda's function name (a name alone is at most 64 characters; the model's '.' is not allowed in names). */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9-_]{1,64}");
    public static final FunctionRegistry NONE = new FunctionRegistry(Map.of());
    /** Lambda's largest function Timeout. */
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(900);
    /**
     * Without {@code --function-timeout}: longer than Lambda's 3 s default, since an HTTP function's own timeout is
     * unknown here and a batch cut short is invoked again.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, URI> urls;
    private final Duration timeout;

    /**
     * @throws IllegalArgumentException if a name or URL is invalid ({@link #check})
     */
    public FunctionRegistry(Map<String, URI> urls) {
        this(urls, DEFAULT_TIMEOUT);
    }

    private FunctionRegistry(Map<String, URI> urls, Duration timeout) {
        TreeMap<String, URI> checked = new TreeMap<>();
        urls.forEach((name, url) -> checked.put(check(name, url.toString()).getKey(), url));
        this.urls = Collections.unmodifiableMap(checked);
        this.timeout = timeout;
    }

    /**
     * These functions with invocations allowed {@code timeout} (1 s to 900 s, as a Lambda function's Timeout).
     *
     * @throws IllegalArgumentException for a timeout out of that range
     */
    public FunctionRegistry withTimeout(Duration timeout) {
        if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("--function-timeout " + timeout.toSeconds()
                    + ": a function's timeout is 1 to 900 seconds");
        }
        return new FunctionRegistry(urls, timeout);
    }

    /** How long an invocation may run before it counts as a function error (the function's Timeout). */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The registry of {@code --function} options, each {@code NAME=URL}.
     *
     * @throws IllegalArgumentException naming the first invalid or repeated option
     */
    public static FunctionRegistry parse(List<String> options) {
        TreeMap<String, URI> urls = new TreeMap<>();
        for (String option : options) {
            int eq = option.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--function " + option + ": expected NAME=URL, e.g. orders="
                        + "http://127.0.0.1:9000/2015-03-31/functions/function/invocations");
            }
            Map.Entry<String, URI> f = check(option.substring(0, eq), option.substring(eq + 1));
            if (urls.put(f.getKey(), f.getValue()) != null) {
                throw new IllegalArgumentException("--function " + option + ": function " + f.getKey()
                        + " is registered twice");
            }
        }
        return new FunctionRegistry(urls);
    }

    /**
     * One registration, checked: a name of 1 to 64 characters {@code [a-zA-Z0-9-_]}, and an absolute http or https
     * URL with a host.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Map.Entry<String, URI> check(String name, String url) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("function name '" + name + "' is invalid: a function name is 1 to 64"
                    + " characters of a-z, A-Z, 0-9, '-' and '_'");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("function " + name + ": '" + url + "' is not a URL: "
                    + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("function " + name + ": '" + url + "' is not an absolute http or"
                    + " https URL with a host, such as http://127.0.0.1:9000/2015-03-31/functions/function/invocations");
        }
        return Map.entry(name, uri);
    }

    /** The URL function {@code name} is invoked at, if it is registered. */
    public Optional<URI> url(String name) {
        return Optional.ofNullable(urls.get(name));
    }

    public boolean has(String name) {
        return urls.containsKey(name);
    }

    /** Every registered name, in order. */
    public List<String> names() {
        return List.copyOf(urls.keySet());
    }
}
