package dev.millrace.server.security;

import dev.millrace.auth.Identities;
import dev.millrace.auth.IdentitiesFile;
import dev.millrace.auth.IdentitiesFileException;
import dev.millrace.auth.Identity;
import dev.millrace.auth.sigv4.SigningKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The identities the server knows, from {@code --identities FILE}: loaded at start (a bad file stops the start) and
 * again on {@link #reload} (SIGHUP), which keeps the old identities and logs why if the file is bad now. Requests in
 * flight keep the snapshot they started with.
 *
 * <p>Thread-safe: a snapshot is replaced whole.
 */
public final class ServerIdentities implements SigningKeys {
    private static final Logger log = LoggerFactory.getLogger(ServerIdentities.class);

    private final Path file;
    private final AtomicReference<Identities> current;

    private ServerIdentities(Path file, Identities first) {
        this.file = file;
        this.current = new AtomicReference<>(first);
    }

    /** Loads {@code file}; throws with the file's problem so that the server does not start on a bad one. */
    public static ServerIdentities load(Path file) throws IdentitiesFileException {
        Identities first = IdentitiesFile.load(file);
        ServerIdentities identities = new ServerIdentities(file, first);
        identities.logLoaded(first);
        return identities;
    }

    /** Identities given whole (tests). */
    public static ServerIdentities of(Identities identities) {
        return new ServerIdentities(null, identities);
    }

    /** Reads the file again; keeps the identities it has if the file cannot be read or is not valid. */
    public boolean reload() {
        if (file == null) {
            return false;
        }
        try {
            Identities next = IdentitiesFile.load(file);
            current.set(next);
            logLoaded(next);
            return true;
        } catch (IdentitiesFileException | RuntimeException e) {
            log.warn("Identities file {} not reloaded, the {} identities loaded before stay in force: {}", file,
                    current.get().size(), e.getMessage());
            return false;
        }
    }

    private void logLoaded(Identities identities) {
        log.info("Loaded {} identities from {}", identities.size(), file);
        identities.warnings().forEach(w -> log.warn("Identities file {}: {}", file, w));
    }

    public Identities snapshot() {
        return current.get();
    }

    /** The identity of an access key id, or null. */
    public Identity byAccessKeyId(String accessKeyId) {
        return current.get().byAccessKeyId(accessKeyId);
    }

    /** Whether any identity belongs to {@code accountId}. */
    public boolean hasAccount(String accountId) {
        for (Identity i : current.get().all()) {
            if (i.accountId().equals(accountId)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Optional<String> secretKeyOf(String accessKeyId) {
        Identity identity = byAccessKeyId(accessKeyId);
        return identity == null ? Optional.empty() : Optional.of(identity.secretAccessKey());
    }
}
