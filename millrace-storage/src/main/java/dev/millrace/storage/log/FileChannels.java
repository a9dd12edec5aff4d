package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;

/**
 * How the storage engine opens every file it writes (segments, indexes, checkpoints, sealed markers, the metadata
 * journal and snapshot): the one seam through which tests swap in a disk that fills up or fails to force.
 *
 * <p>The default opens the file with {@link FileChannel#open}; a file it creates is made private to the owner
 * ({@link FileModes#PRIVATE_FILE}), whatever the umask allows.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface FileChannels {
    FileChannels DEFAULT = (path, options) -> {
        boolean creates = options.contains(StandardOpenOption.CREATE)
                || options.contains(StandardOpenOption.CREATE_NEW);
        FileAttribute<?>[] attributes = creates ? FileModes.privateFileAttributes(path) : new FileAttribute<?>[0];
        return FileChannel.open(path, options, attributes);
    };

    FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;

    default FileChannel open(Path path, OpenOption... options) throws IOException {
        return open(path, Set.of(options));
    }
}
