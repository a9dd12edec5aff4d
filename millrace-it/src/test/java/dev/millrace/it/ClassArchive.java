package dev.millrace.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

/**
 * A class-data-sharing archive of {@code millrace.jar} (the JDK's dynamic AppCDS archive, JDK 13 on), made once per
 * build of the jar and used by every JVM the tests start with {@code java -jar millrace.jar}: about 140 servers and
 * CLI commands a run. A server with it listens after ~1.2 s instead of ~1.9 s on this machine, and start-up CPU is
 * what two test classes on two cores wait for (the suite's budget is 30 minutes).
 *
 * <p>The first test JVM that needs it makes it under a file lock the other forks wait on: a server is started with
 * {@code -XX:ArchiveClassesAtExit}, answers one call, and is stopped (SIGTERM: the JVM writes the archive on its way
 * out). The archive's name carries the jar's size and modification time, so a rebuilt jar gets a new one (the JVM
 * would refuse a stale one anyway). Anything going wrong only costs the speed-up: no archive, no option, one line on
 * stderr. The JVM's own CDS messages are switched off, since tests read children's output: an archive the JVM
 * cannot use is then ignored silently.
 *
 * <p>Thread-safe: one archive per test JVM, looked up once.
 */
final class ClassArchive {
    private static final Duration MAKE_TIMEOUT = Duration.ofSeconds(60);
    private static List<String> options;

    private ClassArchive() {
    }

    /** The JVM options that use the archive; empty if it could not be made. */
    static synchronized List<String> options() {
        if (options == null) {
            options = find();
        }
        return options;
    }

    private static List<String> find() {
        try {
            Path jar = MillraceProcess.jar();
            Path dir = Path.of(System.getProperty("millrace.it.logs", "target/millrace-logs")).toAbsolutePath()
                    .getParent().resolve("class-archive");
            Files.createDirectories(dir);
            Path archive = dir.resolve("millrace-" + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis()
                    + ".jsa");
            try (FileChannel lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                if (!Files.isRegularFile(archive)) {
                    make(jar, archive);
                }
            }
            return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
        } catch (Exception e) {
            System.err.println("no class-data-sharing archive for the servers the tests start (" + e + ")");
            return List.of();
        }
    }

    /** Runs a server that writes the archive on exit, and moves the archive in place once it is whole. */
    private static void make(Path jar, Path archive) throws Exception {
        Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
        Path dataDir = Files.createTempDirectory(archive.getParent(), "data-");
        Files.deleteIfExists(partial);
        List<String> command = new ArrayList<>(MillraceProcess.java("512m"));
        command.addAll(List.of("-XX:ArchiveClassesAtExit=" + partial, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                "-jar", jar.toString(), "server", "--port", "0", "--host", "127.0.0.1", "--data-dir",
                dataDir.toString(), "--transition-delay-ms", "0"));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            URI endpoint = awaitListening(server);
            // One call, so that what answering loads (the operation table, Jackson, a handler) is archived too.
            HttpRequest listStreams = HttpRequest.newBuilder(endpoint)
                    .header("X-Amz-Target", "Kinesis_20131202.ListStreams")
                    .header("Content-Type", "application/x-amz-json-1.1")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(10)).build();
            HttpClient.newHttpClient().send(listStreams, HttpResponse.BodyHandlers.discarding());
        } finally {
            server.destroy();
            if (!server.waitFor(MAKE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            KinesisApiContract.deleteTree(dataDir);
        }
        if (!Files.isRegularFile(partial) || Files.size(partial) == 0) {
            throw new IOException("the server wrote no archive (exit " + server.exitValue() + ")");
        }
        Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
    }

    private static URI awaitListening(Process server) throws Exception {
        CompletableFuture<URI> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    Matcher m = MillraceProcess.LISTENING.matcher(line);
                    if (m.find()) {
                        ready.complete(URI.create("http://" + m.group(1) + ":" + m.group(2) + "/"));
                    }
                }
            } catch (IOException e) {
                // the stream closes when the server exits
            }
            ready.completeExceptionally(new IOException("the server exited before it listened"));
        }, "class-archive-server-output");
        reader.setDaemon(true);
        reader.start();
        return ready.get(MAKE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
}
