import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The trivial function of bench/lambda.py: an HTTP server on 127.0.0.1 that takes any POST as an invocation with
 * Lambda's Kinesis event, counts its records and answers {@code {}} at once (a success without batchItemFailures).
 * Run as a single-file program, no dependencies:
 *
 * <pre>java TrivialFunction.java PORT STATUS_FILE [DELAY_FILE]</pre>
 *
 * (bench/lambda.py compiles it first and runs the class, so that the source launcher's compilation is not part of the
 * function's CPU.)
 *
 * <p>Every 100 ms (and at exit) it writes STATUS_FILE, whole (written aside, then renamed): {@code {"records": ..,
 * "invocations": .., "maxBatch": .., "firstMs": .., "lastMs": ..}}, the times of the first invocation's arrival and the
 * last one's answer in epoch milliseconds. With DELAY_FILE it also decodes each record's data, the bench's
 * {@code {"i": N, "t": SEND_EPOCH_MS}}, and appends {@code N DELAY_MS} per record (arrival of the invocation minus the
 * send time; both clocks are this machine's wall clock), flushed per invocation.
 *
 * <p>Records are counted by their {@code "sequenceNumber"} keys rather than by parsing the event: the data is base64
 * and cannot hold a quote, and a JSON parser would make the function, which must not be the bottleneck, cost more than
 * the server's side of the invocation.
 *
 * <p>Thread-safe: invocations arrive on a pool of {@link #THREADS} threads (a mapping with ParallelizationFactor 10 on
 * 4 shards invokes 40 at once); counters are atomic; delay lines are written under the writer's lock.
 */
public final class TrivialFunction {
    /** More than the invocations a benchmark has in flight, so that none waits for a thread. */
    static final int THREADS = 64;
    private static final byte[] KEY = "\"sequenceNumber\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ANSWER = "{}".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern DATA = Pattern.compile("\"data\":\"([A-Za-z0-9+/=]*)\"");
    private static final Pattern SENT = Pattern.compile("\"i\":\\s*(-?\\d+),\\s*\"t\":\\s*([0-9.]+)");

    private final AtomicLong records = new AtomicLong();
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicLong maxBatch = new AtomicLong();
    private final AtomicLong firstMs = new AtomicLong();
    private final AtomicLong lastMs = new AtomicLong();
    private final BufferedWriter delays;

    private TrivialFunction(BufferedWriter delays) {
        this.delays = delays;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: java TrivialFunction.java PORT STATUS_FILE [DELAY_FILE]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path status = Path.of(args[1]);
        BufferedWriter delays = args.length == 3 ? Files.newBufferedWriter(Path.of(args[2])) : null;
        TrivialFunction function = new TrivialFunction(delays);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        server.createContext("/", function::invoke);
        server.setExecutor(threads);
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> function.writeStatus(status)));
        System.out.println("TrivialFunction listening on 127.0.0.1:" + port);
        Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "status");
            thread.setDaemon(true);
            return thread;
        }).scheduleWithFixedDelay(() -> function.writeStatus(status), 0, 100, TimeUnit.MILLISECONDS);
    }

    private void invoke(HttpExchange exchange) throws IOException {
        try (exchange) {
            Instant arrival = Instant.now();
            firstMs.compareAndSet(0, arrival.toEpochMilli());
            byte[] body = exchange.getRequestBody().readAllBytes();
            long count = occurrences(body, KEY);
            if (delays != null) {
                recordDelays(body, arrival.getEpochSecond() * 1000.0 + arrival.getNano() / 1e6);
            }
            exchange.sendResponseHeaders(200, ANSWER.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ANSWER);
            }
            records.addAndGet(count);
            invocations.incrementAndGet();
            maxBatch.accumulateAndGet(count, Math::max);
            lastMs.accumulateAndGet(System.currentTimeMillis(), Math::max);
        }
    }

    private static long occurrences(byte[] body, byte[] key) {
        long count = 0;
        outer:
        for (int i = 0; i + key.length <= body.length; i++) {
            for (int j = 0; j < key.length; j++) {
                if (body[i + j] != key[j]) {
                    continue outer;
                }
            }
            count++;
            i += key.length - 1;
        }
        return count;
    }

    private void recordDelays(byte[] body, double arrivalMs) throws IOException {
        StringBuilder lines = new StringBuilder();
        Matcher data = DATA.matcher(new String(body, StandardCharsets.US_ASCII));
        while (data.find()) {
            String decoded = new String(Base64.getDecoder().decode(data.group(1)), StandardCharsets.UTF_8);
            Matcher sent = SENT.matcher(decoded);
            if (sent.find()) {
                lines.append(sent.group(1)).append(' ')
                        .append(String.format("%.3f", arrivalMs - Double.parseDouble(sent.group(2)))).append('\n');
            }
        }
        synchronized (delays) {
            delays.write(lines.toString());
            delays.flush();
        }
    }

    private void writeStatus(Path status) {
        String json = String.format("{\"records\": %d, \"invocations\": %d, \"maxBatch\": %d, \"firstMs\": %d, "
                + "\"lastMs\": %d}%n", records.get(), invocations.get(), maxBatch.get(), firstMs.get(), lastMs.get());
        try {
            Path aside = status.resolveSibling(status.getFileName() + ".tmp");
            Files.writeString(aside, json);
            Files.move(aside, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // the scheduler would drop the task silently: say so, the bench then times out waiting for the status
            System.err.println("cannot write " + status + ": " + e);
            throw new UncheckedIOException(e);
        }
    }
}
