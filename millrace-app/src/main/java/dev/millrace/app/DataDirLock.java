package dev.millrace.app;

import dev.millrace.storage.log.FileModes;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * An exclusive OS lock on {@code <data-dir>/lock}, held while a node runs, so that a second node started on the same
 * data directory refuses to start instead of corrupting it. The OS drops the lock when the process dies, even by
 * {@code kill -9}, so a stale lock file never blocks a restart.
 *
 * <p>Not thread-safe; one per process.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE_NAME = "lock";

    /** The data directory is in use by another process. */
    static final class HeldException extends Exception {
        private static final long serialVersionUID = 1L;

        HeldException(String message) {
            super(message);
        }
    }

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates the directory if needed, checks that new files can be made in it, and takes the lock, or throws
     * {@link HeldException} if another has it.
     */
    static DataDirLock acquire(Path dataDir) throws IOException, HeldException {
        // 0700 when made here (FileModes); one that exists keeps its owner's mode.
        FileModes.createPrivateDirectories(dataDir);
        // The lock file of an earlier run opens for writing even in a directory that no longer takes new files,
        // which storage would only find out half-way through opening.
        try {
            Files.delete(Files.createTempFile(dataDir, ".write-check", ".tmp"));
        } catch (FileSystemException e) {
            // Named after the directory: the probe's random file name would only puzzle.
            throw e instanceof AccessDeniedException ? new AccessDeniedException(dataDir.toString(), null,
                    e.getReason()) : new FileSystemException(dataDir.toString(), null, e.getReason());
        }
        Path file = dataDir.resolve(FILE_NAME);
        // Private like everything in the data dir (FileModes): 0600 when made, and tightened if an older run left it
        // to the umask.
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                FileModes.privateFileAttributes(file));
        try {
            FileModes.restrict(file, FileModes.PRIVATE_FILE);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new HeldException("Data dir " + dataDir + " is in use by another Millrace process (" + file
                    + " is locked)");
        }
        return new DataDirLock(channel, lock);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
