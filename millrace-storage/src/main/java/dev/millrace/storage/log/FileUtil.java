package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * File-system steps that crash consistency depends on. (Directories are opened here directly rather than through
 * {@link FileChannels}: forcing one writes nothing the disk could refuse for want of space.)
 *
 * <p>Stateless, thread-safe.
 */
public final class FileUtil {
    private FileUtil() {
    }

    /**
     * Forces a directory, so that files created, renamed or deleted in it stay so after a power loss. Creating a file
     * and forcing the file alone does not persist its name.
     */
    public static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Writes {@code bytes} as the whole content of {@code file} (created if missing) and forces it. */
    static void writeForced(FileChannels channels, Path file, byte[] bytes) throws IOException {
        java.nio.ByteBuffer text = java.nio.ByteBuffer.wrap(bytes);
        try (FileChannel ch = channels.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long at = 0;
            while (text.hasRemaining()) {
                at += ch.write(text, at);
            }
            ch.force(true);
        }
    }

    /** Deletes a directory tree; a missing tree is not an error. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
