package dev.millrace.app;

import dev.millrace.server.ServerConfig;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.StorageException;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Why a node could not start, when the cause is the machine or the options rather than a bug: a data directory that
 * cannot be created or written, a TLS file that is missing, a port that is taken. The message is one line for people
 * that names the problem and what to do about it; {@code millrace server} prints it on stderr instead of a stack
 * trace. Failures it does not recognise ({@link #explain} returns {@code null}) keep their stack trace.
 *
 * <p>Immutable.
 */
final class StartupProblem extends Exception {
    private static final long serialVersionUID = 1L;

    StartupProblem(String message) {
        // No cause: it would only invite printing the stack trace this class exists to spare.
        super(message, null, false, false);
    }

    /** The data directory cannot be created, locked or written. */
    static StartupProblem dataDir(Path dataDir, IOException e) {
        String where = e instanceof FileSystemException fs && fs.getFile() != null
                && !Path.of(fs.getFile()).equals(dataDir) ? fs.getFile() + ": " : "";
        return new StartupProblem("cannot use data dir " + dataDir + " (" + where + reason(e) + "); choose a "
                + "--data-dir that user " + System.getProperty("user.name") + " can create and write, or fix the "
                + "permissions of this one");
    }

    /** Another node holds the data directory's lock. */
    static StartupProblem dataDirHeld(DataDirLock.HeldException e) {
        return new StartupProblem(e.getMessage() + "; stop that process or choose another --data-dir");
    }

    /**
     * {@code --tls-cert} or {@code --tls-key} ({@code option}) names a file that is not there or cannot be read;
     * {@code null} if it can be read.
     */
    static StartupProblem unreadableTlsFile(String option, Path file, String what) {
        String why;
        if (!Files.exists(file)) {
            why = "no such file";
        } else if (Files.isDirectory(file)) {
            why = "a directory, not a file";
        } else if (!Files.isReadable(file)) {
            why = "permission denied";
        } else {
            return null;
        }
        return new StartupProblem(option + " " + file + ": " + why + "; give the path of " + what
                + ", or leave out --tls-cert and --tls-key for a self-signed certificate");
    }

    /**
     * What {@link dev.millrace.server.MillraceServer#start} threw, explained, or {@code null} for a failure that is
     * not the machine's or the options' (a bug, damaged data: those keep their stack trace).
     *
     * @param plainPortBound whether the server had bound its plain port (so the TLS port was being set up)
     * @param storageInDataDir whether the storage is the embedded engine's, in the data directory (else its IO
     *                         errors are not the data directory's)
     */
    static StartupProblem explain(Exception e, ServerConfig config, boolean plainPortBound,
                                  boolean storageInDataDir) {
        BindException bind = find(e, BindException.class);
        if (bind != null) {
            return plainPortBound ? port("TLS port", "--tls-port", config.tls().port(), config.host(), bind)
                    : port("port", "--port", config.port(), config.host(), bind);
        }
        if (plainPortBound) {
            // After the plain port, start() does nothing but set up the TLS port.
            IOException io = find(e, IOException.class);
            return new StartupProblem("cannot set up the TLS port: " + (io != null ? io.getMessage() : e.getMessage())
                    + (config.tls().certPath() != null ? "; check --tls-cert and --tls-key (a PEM certificate chain "
                    + "and its PKCS#8 PEM private key)" : "; check that " + config.dataDir().resolve("tls")
                    + " can be written, or remove it to make a new self-signed certificate"));
        }
        if (storageInDataDir && e instanceof StorageException && !(e instanceof CorruptDataException)
                && e.getCause() instanceof IOException io) {
            return dataDir(config.dataDir(), io);
        }
        return null;
    }

    private static StartupProblem port(String what, String option, int port, String host, BindException e) {
        String where = what + " " + port + " on " + host;
        if (String.valueOf(e.getMessage()).contains("already in use")) {
            return new StartupProblem(where + " is already in use (" + option + "); stop the program listening "
                    + "there (another Millrace?) or choose another port with " + option + " (0 picks a free one)");
        }
        return new StartupProblem("cannot listen on " + where + " (" + option + "): " + e.getMessage()
                + "; check --host and " + option);
    }

    /** The first {@code type} in {@code e}'s cause chain, or {@code null}. */
    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** What went wrong with a file, in a few words (the JDK's message for most is only the path). */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException denied) {
            return denied.getReason() != null ? denied.getReason() : "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "exists and is not a directory";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
