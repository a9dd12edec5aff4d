package dev.millrace.storage.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * File modes of a data directory: records are the clients' data, so nothing the engine writes is readable by other
 * local users. Directories are {@code 0700} and files {@code 0600}, set at creation (not left to the umask).
 *
 * <p>Data written by a version that left modes to the umask is tightened when it is opened: the data directory (only
 * if everything in it is Millrace's, so that a data dir pointed at a shared directory is never locked down), the
 * {@code shards} and {@code metadata} directories and the metadata files at start, and a shard's directory and files
 * when the shard is first opened (a stat of its directory, and the files only when the directory was too wide). The
 * private directories alone already keep other users out; the files are tightened too so that copying or moving a
 * directory elsewhere keeps them private.
 *
 * <p>On a file system without POSIX permissions (Windows) this does nothing. Stateless, thread-safe.
 */
public final class FileModes {
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    /** Everything Millrace puts in a data directory: the engine's, the app's lock, the TLS port's certificate. */
    private static final Set<String> MILLRACE_ENTRIES = Set.of("shards", "metadata", "lock", "tls");
    private static final Logger log = LoggerFactory.getLogger(FileModes.class);

    private FileModes() {
    }

    static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    static FileAttribute<?>[] privateFileAttributes(Path path) {
        return posix(path) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE_FILE)}
                : new FileAttribute<?>[0];
    }

    /** Creates a directory and any missing parents, each created one {@code 0700}; existing ones are left alone. */
    public static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            createPrivateDirectories(parent);
        }
        try {
            if (posix(dir)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
                // The attribute is filtered by the umask; 0700 survives any usual umask, but a strict one is no reason
                // to leave the owner locked out.
                restrict(dir, PRIVATE_DIR);
            } else {
                Files.createDirectory(dir);
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    /** Sets {@code mode} if the path's current mode differs; returns whether it changed anything. */
    public static boolean restrict(Path path, Set<PosixFilePermission> mode) throws IOException {
        if (!posix(path)) {
            return false;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        Set<PosixFilePermission> current = view.readAttributes().permissions();
        if (current.equals(mode)) {
            return false;
        }
        view.setPermissions(EnumSet.copyOf(mode));
        return true;
    }

    /**
     * Makes a data directory private: {@code 0700}, unless it holds entries that are not Millrace's (a shared
     * directory such as {@code /tmp} given as the data dir), which are left alone with a warning; the engine's own
     * subdirectories are private in any case.
     */
    public static void privateDataDir(Path dataDir) throws IOException {
        createPrivateDirectories(dataDir);
        if (!posix(dataDir)) {
            return;
        }
        boolean ours = true;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir)) {
            for (Path entry : entries) {
                ours &= MILLRACE_ENTRIES.contains(entry.getFileName().toString());
            }
        }
        if (ours) {
            // Worth a line only for data an older version left readable; a new data dir (made by the launcher with
            // the umask's mode, say) is simply tightened, and a start keeps its one INFO line.
            boolean hadData = Files.exists(dataDir.resolve("shards")) || Files.exists(dataDir.resolve("metadata"));
            if (restrict(dataDir, PRIVATE_DIR) && hadData) {
                log.info("Data dir {}: made private to its owner (0700)", dataDir);
            }
        } else if (!Files.getPosixFilePermissions(dataDir).equals(PRIVATE_DIR)) {
            log.warn("Data dir {} holds files that are not Millrace's, so its mode is left as it is; its shards and "
                    + "metadata directories are private (0700)", dataDir);
        }
    }

    /**
     * Tightens a directory to {@code 0700} and, if it was wider, every file directly in it to {@code 0600} and every
     * subdirectory likewise: what a version that left modes to the umask wrote becomes private at its first open.
     */
    public static void privateTree(Path dir) throws IOException {
        if (!restrict(dir, PRIVATE_DIR)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    privateTree(entry);
                } else if (Files.isRegularFile(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    restrict(entry, PRIVATE_FILE);
                }
            }
        }
    }
}
