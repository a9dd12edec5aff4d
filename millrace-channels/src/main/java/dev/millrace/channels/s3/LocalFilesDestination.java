package dev.millrace.channels.s3;

import dev.millrace.storage.log.FileModes;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.regex.Pattern;

/**
 * Objects as plain files, {@code ROOT/BUCKET/KEY} (the server's root is {@code DATA_DIR/channels}): the destination
 * when no S3 endpoint is configured. A key's "/" are directories. An object is copied to a temporary file in
 * {@code ROOT/TMP} (inside the root, so on its file system even when the root is a mount of its own, and named as no
 * bucket can be, uppercase: a write cut short by a crash leaves no file that looks like an object), forced to disk,
 * then atomically moved over the target (and the directory forced), so a reader or a crash sees the old object or the
 * new one, never part of one; an overwrite is a replace. Where the target is on another file system (a bucket
 * directory that is a symlink or a mount) the move cannot be atomic: the object is then written to a hidden temporary
 * file ({@code .millrace-*.millrace-tmp}) in the target's own directory and moved from there. Temporary files left by a
 * crash, in both places, are deleted when the destination is opened. Buckets need not be created: every well-formed
 * bucket name exists.
 *
 * <p>Thread-safe: writers of distinct keys do not interact; writers of one key each use their own temporary file and
 * the last move wins (both wrote the same bytes, as delivery is deterministic). One destination per root.
 */
public final class LocalFilesDestination implements Destination {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9._-]{3,63}");
    /** Uppercase: no bucket has this name ({@link #BUCKET}). */
    private static final String TEMP_DIR = "TMP";
    private static final String TEMP_PREFIX = ".millrace-";
    private static final String TEMP_SUFFIX = ".millrace-tmp";

    /** Moves a file atomically over another; a seam for tests to fail moves across file systems. */
    @FunctionalInterface
    interface Mover {
        void move(Path source, Path target) throws IOException;
    }

    private final Path root;
    private final Path tempDir;
    private final Mover mover;
    /** Whether objects are hard links to the files given (else copies); false only in tests of the copy. */
    private final boolean links;

    /**
     * @throws DestinationException if the temporary directory cannot be created or the root emptied of a crash's
     *                              left-overs
     */
    public LocalFilesDestination(Path root) {
        this(root, (source, target) -> Files.move(source, target, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING));
    }

    LocalFilesDestination(Path root, Mover mover) {
        this(root, mover, true);
    }

    LocalFilesDestination(Path root, Mover mover, boolean links) {
        this.links = links;
        this.root = root.toAbsolutePath().normalize();
        this.tempDir = this.root.resolve(TEMP_DIR);
        this.mover = mover;
        try {
            FileModes.createPrivateDirectories(tempDir);
            FileModes.restrict(tempDir, FileModes.PRIVATE_DIR);
            deleteLeftOvers();
        } catch (IOException e) {
            throw new DestinationException("Cannot prepare " + this.root + " for objects: " + e, e);
        }
    }

    /** Deletes a crash's temporary files, following symlinks: bucket directories may be (their files are behind). */
    private void deleteLeftOvers() throws IOException {
        Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                        if (isTemporary(file)) {
                            Files.deleteIfExists(file);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        // A symlink back up the tree is no reason not to start.
                        if (e instanceof FileSystemLoopException) {
                            return FileVisitResult.CONTINUE;
                        }
                        throw e;
                    }
                });
    }

    private boolean isTemporary(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(TEMP_SUFFIX) && (file.getParent().equals(tempDir) || name.startsWith(TEMP_PREFIX));
    }

    /** Where the object {@code key} of {@code bucket} is kept. */
    public Path pathOf(String bucket, String key) {
        if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw new DestinationException("Invalid bucket name: " + bucket);
        }
        Path bucketDir = root.resolve(bucket);
        Path path = bucketDir.resolve(key).normalize();
        if (key.isEmpty() || key.startsWith("/") || !path.startsWith(bucketDir) || path.equals(bucketDir)
                || key.endsWith("/")) {
            throw new DestinationException("The key " + key + " cannot be stored as a file under " + bucketDir);
        }
        return path;
    }

    @Override
    public void put(ObjectTarget target, Path file) {
        Path path = pathOf(target.bucket(), target.key());
        try {
            // Under the data dir, which is the owner's only (FileModes), as the shards holding the same records are.
            FileModes.createPrivateDirectories(path.getParent());
            try {
                putVia(tempDir, "object-", file, path);
            } catch (AtomicMoveNotSupportedException e) {
                // The target is on another file system than the root: a temporary file beside it is on the same.
                putVia(path.getParent(), TEMP_PREFIX, file, path);
            }
            forceDirectory(path.getParent());
        } catch (IOException e) {
            throw new DestinationException("Could not write " + path + ": " + e, e);
        }
    }

    /**
     * Links (else copies) {@code file} to a temporary file in {@code dir}, forces it, moves it over {@code path}. A hard
     * link is tried first: delivery's staged files are in the data dir, usually the root's file system, and a link
     * writes none of the object's bytes again (a copy read and wrote every delivered byte a second time, and the
     * page cache then had twice the object to write back). The staged file is never written after staging, so the
     * shared inode is the object's final bytes; deleting the staged name leaves the object.
     */
    private void putVia(Path dir, String prefix, Path file, Path path) throws IOException {
        Path temp = Files.createTempFile(dir, prefix, TEMP_SUFFIX);
        try {
            if (!linked(file, temp)) {
                Files.copy(file, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            FileModes.restrict(temp, FileModes.PRIVATE_FILE);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            mover.move(temp, path);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Replaces {@code temp} (just created, empty) by a hard link to {@code file}; false where links are impossible
     * (another file system, or one without links), leaving {@code temp} for a copy.
     */
    private boolean linked(Path file, Path temp) throws IOException {
        if (!links) {
            return false;
        }
        Files.delete(temp);
        try {
            Files.createLink(temp, file);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            // EXDEV or EPERM: copy instead. The name is taken again for the copy; createTempFile's name was unique
            // and no other writer uses it.
            Files.createFile(temp);
            return false;
        }
    }

    @Override
    public boolean exists(ObjectTarget target) {
        return Files.exists(pathOf(target.bucket(), target.key()));
    }

    @Override
    public BucketCheck checkBucket(String bucket) {
        return BUCKET.matcher(bucket).matches() && !bucket.contains("..") ? BucketCheck.EXISTS : BucketCheck.MISSING;
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for syncing; the move itself is still atomic there.
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw e;
            }
        }
    }
}
