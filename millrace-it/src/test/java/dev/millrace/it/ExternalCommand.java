package dev.millrace.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command of another toolchain (node, npm, the AWS CLI) to completion and keeps what it printed.
 *
 * <p>Not thread-safe; one per command.
 */
final class ExternalCommand {
    /** What a finished command left behind. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    private ExternalCommand() {
    }

    static Result run(List<String> command, Path workDir, Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().putAll(env);
        Path out = java.nio.file.Files.createTempFile("cmd-out", ".txt");
        Path err = java.nio.file.Files.createTempFile("cmd-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException(command + " did not finish within " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
    }

    /** The Node.js scripts the JS SDK tests run, in this module's {@code src/test/js}. */
    private static final Path JS_SOURCES = Path.of(System.getProperty("millrace.repo"), "millrace-it", "src", "test",
            "js");

    /**
     * Copies {@code package.json} and the named scripts into {@code work} and runs {@code npm install} there (no lock
     * file: the pinned version in package.json decides). Fails the test if npm fails.
     */
    static void installJsScripts(Path work, String... scripts) throws IOException, InterruptedException {
        installJsFiles(JS_SOURCES, work, scripts);
    }

    /**
     * {@link #installJsScripts}, from the subdirectory {@code dir} of {@code src/test/js}, which has its own
     * {@code package.json}: packages that only some tests need (a bundler, a browser driver) stay out of the others'
     * install.
     */
    static void installJsDir(Path work, String dir, String... files) throws IOException, InterruptedException {
        installJsFiles(JS_SOURCES.resolve(dir), work, files);
    }

    private static void installJsFiles(Path sources, Path work, String... scripts)
            throws IOException, InterruptedException {
        String npm = require("npm", "install Node.js and npm (apt-get install -y nodejs npm)");
        java.util.List<String> files = new java.util.ArrayList<>(List.of("package.json"));
        files.addAll(List.of(scripts));
        for (String file : files) {
            java.nio.file.Files.copy(sources.resolve(file), work.resolve(file),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Result install = run(List.of(npm, "install", "--no-audit", "--no-fund", "--no-package-lock",
                "--loglevel=error"), work, Map.of(), 300);
        if (install.exitCode() != 0) {
            throw new AssertionError("npm install failed: " + install.stderr());
        }
    }

    /** The absolute path of a program on the PATH, or fails the test with what to install. */
    static String require(String program, String installHint) {
        for (String dir : System.getenv("PATH").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (java.nio.file.Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(program + " is not on the PATH; " + installHint
                + " (./verify installs it, as root)");
    }
}
