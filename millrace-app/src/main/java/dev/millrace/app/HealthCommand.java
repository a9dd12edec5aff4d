package dev.millrace.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code millrace health}: asks a node's {@code /health/ready} (or {@code /health/live}) and exits 0 if it answers
 * 200, 1 otherwise. It exists for container health checks: the image has a JRE and no HTTP client such as curl, so
 * {@code HEALTHCHECK}/{@code --health-cmd}/Compose's {@code healthcheck} run this instead. The port defaults to
 * {@code MILLRACE_PORT}, as the server's does, so the check follows a port moved with {@code -e MILLRACE_PORT=...}.
 *
 * <p>Not thread-safe: picocli fills and calls it once.
 */
@Command(name = "health", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Asks a Millrace node whether it is ready (GET /health/ready) and exits 0 if it is (HTTP 200),"
                + " 1 if it is not or does not answer; for container health checks. Prints the node's answer."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ready (or live, with --live)", "1:not ready, or no answer within the timeout",
            "2:usage error"})
final class HealthCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "The node's host (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:MILLRACE_PORT:-4567}", paramLabel = "PORT",
            description = "The node's HTTP port (default: MILLRACE_PORT, else 4567; now ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--live", description = "Ask /health/live (the process answers) rather than /health/ready.")
    boolean live;

    @Option(names = "--timeout-ms", defaultValue = "3000", paramLabel = "MS",
            description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI uri = URI.create("http://" + hostForUri() + ":" + port + (live ? "/health/live" : "/health/ready"));
        Duration timeout = Duration.ofMillis(Math.max(1, timeoutMs));
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            (response.statusCode() == 200 ? out : err).println(response.statusCode() + " " + response.body());
            return response.statusCode() == 200 ? 0 : 1;
        } catch (IOException e) {
            err.println("millrace health: no answer from " + uri + ": " + e);
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private String hostForUri() {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
