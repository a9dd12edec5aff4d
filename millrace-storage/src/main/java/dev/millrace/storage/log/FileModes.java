package dev.millrace.storage.log;

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
 * File modes of a data directory: records are the clients' data, so nothing Millrace writes is readable by other
 * local users. Every directory it creates is {@code 0700} and every file {@code 0600}, set at creation (not left to
 * the umask): the engine's segments, indexes, checkpoints and metadata, the app's lock and node id, the TLS port's
 * certificate and key.
 *
 * <p>A data directory that exists keeps the mode its owner gave it (the app warns at start when it is open to others,
 * {@link #openDataDirWarning}). What a version that left modes to the umask wrote inside it is tightened when opened:
 * the {@code shards} and {@code metadata} directories and the metadata files at start, and a shard's directory and
 * files when the shard is first opened (a stat of its directory, and the files only when the directory was too wide).
 * The private directories alone already keep other users out; the files are tightened too so that copying or moving
 * a directory elsewhere keeps them private.
 *
 * <p>On a file system without POSIX permissions (Windows) this does nothing. Stateless, thread-safe.
 */
public final class FileModes {
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private FileModes() {
    }

    static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** The attributes that create a file {@code 0600} ({@code FileChannel.open}, {@code Files.createFile}). */
    public static FileAttribute<?>[] privateFileAttributes(Path path) {
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
     * The warning to log at start for a data directory that grants its group or others any permission (its owner
     * made it so; it is theirs to change), or {@code null}: names the directory and the command that makes it
     * private.
     */
    public static String openDataDirWarning(Path dataDir) throws IOException {
        if (!posix(dataDir) || !Files.isDirectory(dataDir)) {
            return null;
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dataDir);
        if (PRIVATE_DIR.containsAll(mode)) {
            return null;
        }
        return "Data dir " + dataDir + " is open to other users (" + PosixFilePermissions.toString(mode)
                + "); Millrace keeps its own files in it private, but to close it run: chmod 700 "
                + dataDir.toAbsolutePath();
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
