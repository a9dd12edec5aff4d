package dev.millrace.channels.s3;

import dev.millrace.storage.log.FileModes;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * Objects as plain files, {@code ROOT/BUCKET/KEY} (the server's root is {@code DATA_DIR/channels}): the destination
 * when no S3 endpoint is configured. A key's "/" are directories. An object is copied to a temporary file in
 * {@code ROOT-tmp} (beside the root, so on the same file system, and outside every bucket: a write cut short by a
 * crash leaves no file that looks like an object), forced to disk, then atomically moved over the target (and the
 * directory forced), so a reader or a crash sees the old object or the new one, never part of one; an overwrite is a
 * replace. Temporary files left by a crash are deleted when the destination is opened. Buckets need not be created:
 * every well-formed bucket name exists.
 *
 * <p>Thread-safe: writers of distinct keys do not interact; writers of one key each use their own temporary file and
 * the last move wins (both wrote the same bytes, as delivery is deterministic). One destination per root.
 */
public final class LocalFilesDestination implements Destination {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9._-]{3,63}");
    private static final String TEMP_SUFFIX = ".millrace-tmp";

    private final Path root;
    private final Path tempDir;

    /**
     * @throws DestinationException if the temporary directory cannot be created or emptied of a crash's left-overs
     */
    public LocalFilesDestination(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.tempDir = this.root.resolveSibling(this.root.getFileName() + "-tmp");
        try {
            FileModes.createPrivateDirectories(tempDir);
            try (var leftOvers = Files.list(tempDir)) {
                for (Path file : (Iterable<Path>) leftOvers::iterator) {
                    if (file.getFileName().toString().endsWith(TEMP_SUFFIX)) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        } catch (IOException e) {
            throw new DestinationException("Cannot prepare the temporary directory " + tempDir + ": " + e, e);
        }
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
        Path temp = null;
        try {
            // Under the data dir, which is the owner's only (FileModes), as the shards holding the same records are.
            FileModes.createPrivateDirectories(path.getParent());
            temp = Files.createTempFile(tempDir, "object-", TEMP_SUFFIX);
            Files.copy(file, temp, StandardCopyOption.REPLACE_EXISTING);
            FileModes.restrict(temp, FileModes.PRIVATE_FILE);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(path.getParent());
        } catch (IOException e) {
            try {
                if (temp != null) {
                    Files.deleteIfExists(temp);
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new DestinationException("Could not write " + path + ": " + e, e);
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
