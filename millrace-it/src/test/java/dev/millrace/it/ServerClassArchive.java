package dev.millrace.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class-data-sharing archive (JDK CDS, {@code -XX:SharedArchiveFile}) of the classes a Millrace server loads as it
 * starts, so that the suite's ~90 server starts map them from one file instead of loading and verifying them from
 * the jar each time: about 0.8 s less per start on two shared cores (2.1-2.3 s to the ready line without, 1.3-1.6 s
 * with). It changes how the JVM loads the server's classes, not which classes or what they do.
 *
 * <p>Made once per jar: the first test JVM that starts a server runs one training server ({@code
 * -XX:ArchiveClassesAtExit}) to its ready line, stops it with SIGTERM and moves the archive it wrote at exit next to
 * the jar, named after the jar's size and modification time, so a rebuilt jar gets its own (the JVM checks it too,
 * and ignores an archive that does not match). If anything fails the servers start without one, as before, and
 * {@code -Dmillrace.it.classArchive=false} starts them without one too. The JVM's CDS logging is off: an archive it
 * cannot use would otherwise print a warning into the server's output.
 *
 * <p>Thread-safe: {@link #options} is synchronized; test JVMs that make the archive at once each write a file of
 * their own and move it into place atomically.
 */
final class ServerClassArchive {
    private static final long TRAINING_TIMEOUT_MS = 60_000;
    private static List<String> options;

    private ServerClassArchive() {
    }

    /** The JVM options that give a server started from {@code jar} the archive, or none if there is none. */
    static synchronized List<String> options(Path jar) {
        if (options == null && Boolean.parseBoolean(System.getProperty("millrace.it.classArchive", "true"))) {
            Path archive = archiveOf(jar);
            if (!Files.isRegularFile(archive)) {
                train(jar, archive);
            }
            options = Files.isRegularFile(archive)
                    ? List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off")
                    : List.of();
        }
        return options == null ? List.of() : options;
    }

    private static Path archiveOf(Path jar) {
        try {
            return jar.resolveSibling(jar.getFileName() + "-" + Files.size(jar) + "-"
                    + Files.getLastModifiedTime(jar).toMillis() + ".jsa");
        } catch (IOException e) {
            return jar.resolveSibling(jar.getFileName() + ".unreadable.jsa");
        }
    }

    /** Starts a server that writes the archive when it exits; stops it once it is ready. */
    private static void train(Path jar, Path archive) {
        long startNs = System.nanoTime();
        Path tmp = archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Process p = null;
        try {
            Path dataDir = Files.createTempDirectory("millrace-cds-");
            Path out = dataDir.resolve("server.log");
            List<String> command = new ArrayList<>(List.of(MillraceProcess.javaBinary(), "-Xmx512m",
                    "-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-jar",
                    jar.toString(), "server", "--port", "0", "--host", "127.0.0.1", "--data-dir",
                    dataDir.resolve("data").toString()));
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            long deadline = System.currentTimeMillis() + TRAINING_TIMEOUT_MS;
            while (p.isAlive() && !Files.readString(out).contains("Millrace listening on")
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            p.destroy();
            if (p.waitFor(TRAINING_TIMEOUT_MS, TimeUnit.MILLISECONDS) && p.exitValue() == 0
                    && Files.isRegularFile(tmp)) {
                Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            System.out.printf("server class archive %s: %s in %d ms%n", archive,
                    Files.isRegularFile(archive) ? "made" : "not made, servers start without one",
                    (System.nanoTime() - startNs) / 1_000_000);
        } catch (IOException e) {
            System.out.println("server class archive not made (" + e + "); servers start without one");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // a stray temporary file next to the jar; the next build's clean removes it
            }
        }
    }
}
