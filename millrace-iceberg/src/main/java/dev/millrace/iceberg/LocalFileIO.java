package dev.millrace.iceberg;

import dev.millrace.storage.log.FileModes;
import dev.millrace.storage.log.FileUtil;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SupportsPrefixOperations;

/**
 * Iceberg FileIO over the local file system, with java.nio and iceberg-api's {@code Files}: a local warehouse needs
 * no Hadoop FileSystem (Iceberg's default, HadoopFileIO, would pull in Hadoop's whole client). Locations are absolute
 * paths or {@code file:} URIs. Prefix operations let a sweep find a shard's uncommitted files.
 *
 * <p>Durable: when a new file's stream closes, the file is forced to the disk ({@code fsync}) and then its
 * directory, and a directory created for it (a new partition's, a new table's) is forced in its parent when it is
 * created. So a commit that returned survives a power loss: the catalog's row in SQLite (which syncs its own commit)
 * points to a metadata.json whose bytes, and whose path of directory entries, are on the disk before the row is
 * written, and so are the manifests and data files it names.
 *
 * <p>Stateless and thread-safe. Iceberg creates it by class name ({@code io-impl}), hence the public no-arg
 * constructor.
 */
public final class LocalFileIO implements FileIO, SupportsPrefixOperations {

    private static final int BUFFER_BYTES = 64 * 1024;

    /** How a file's bytes and a directory's entries reach the disk. A seam for tests, which record the calls. */
    interface Durability {
        void forceFile(FileChannel channel, Path file) throws IOException;

        void forceDirectory(Path directory) throws IOException;
    }

    /** fsync through the channel; a directory is opened for reading and forced (Linux, macOS). */
    static final Durability FSYNC = new Durability() {
        @Override
        public void forceFile(FileChannel channel, Path file) throws IOException {
            channel.force(true);
        }

        @Override
        public void forceDirectory(Path directory) throws IOException {
            FileUtil.forceDirectory(directory);
        }
    };

    /** Test seam: what every LocalFileIO of this class loader forces with (Iceberg instantiates them itself). */
    static volatile Durability durability = FSYNC;

    public LocalFileIO() {
    }

    private static String path(String location) {
        return location.startsWith("file:") ? URI.create(location).getPath() : location;
    }

    @Override
    public InputFile newInputFile(String location) {
        return org.apache.iceberg.Files.localInput(path(location));
    }

    @Override
    public OutputFile newOutputFile(String location) {
        File file = new File(path(location));
        File parent = file.getParentFile();
        if (parent != null) {
            try {
                createDirectories(parent.toPath().toAbsolutePath());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create directory " + parent, e);
            }
        }
        return new PrivateOutputFile(file);
    }

    /**
     * Creates {@code dir} and its missing ancestors, each forced in its parent: a directory entry that a power loss
     * takes would take every file below it, whatever was forced there.
     */
    private static void createDirectories(Path dir) throws IOException {
        Path existing = dir;
        while (existing != null && !Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        if (existing == dir) {
            return;
        }
        FileModes.createPrivateDirectories(dir);
        for (Path created = dir; !created.equals(existing); created = created.getParent()) {
            durability.forceDirectory(created.getParent());
        }
    }

    /**
     * A local output file created {@code 0600}: tables in the data directory hold records, and everything there is
     * the owner's only ({@link FileModes}). Iceberg's own local output file creates files with the umask's mode (and
     * deletes a file it overwrites), hence this one.
     */
    private record PrivateOutputFile(File file) implements OutputFile {
        @Override
        public PositionOutputStream create() {
            try {
                Files.createFile(file.toPath(), FileModes.privateFileAttributes(file.toPath()));
            } catch (FileAlreadyExistsException e) {
                throw new AlreadyExistsException("File already exists: %s", file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + file, e);
            }
            return open(true);
        }

        @Override
        public PositionOutputStream createOrOverwrite() {
            boolean created = true;
            try {
                Files.createFile(file.toPath(), FileModes.privateFileAttributes(file.toPath()));
            } catch (FileAlreadyExistsException e) {
                created = false; // overwritten in place: it keeps its mode and its directory entry
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + file, e);
            }
            return open(created);
        }

        /** @param created whether the file is new: then its directory is forced after it, when the stream closes */
        private PositionOutputStream open(boolean created) {
            try {
                FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                Path parent = file.toPath().toAbsolutePath().getParent();
                return new CountingStream(channel, file.toPath(), created ? parent : null);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open " + file, e);
            }
        }

        @Override
        public String location() {
            return file.toString();
        }

        @Override
        public InputFile toInputFile() {
            return org.apache.iceberg.Files.localInput(file);
        }
    }

    /**
     * A buffered stream onto a file's channel that knows how many bytes went through it (Parquet asks for its
     * position) and forces the file to the disk when it closes, then the directory holding a new file's entry. Not
     * thread-safe.
     */
    private static final class CountingStream extends PositionOutputStream {
        private final FileChannel channel;
        private final Path file;
        /** The directory to force after the file, or null (the file was overwritten: its entry is on the disk). */
        private final Path newEntryDirectory;
        private final OutputStream out;
        private long position;
        private boolean closed;

        CountingStream(FileChannel channel, Path file, Path newEntryDirectory) {
            this.channel = channel;
            this.file = file;
            this.newEntryDirectory = newEntryDirectory;
            this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
        }

        @Override
        public long getPos() {
            return position;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            position++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            position += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try (FileChannel closing = channel) {
                out.flush();
                durability.forceFile(closing, file);
            }
            if (newEntryDirectory != null) {
                durability.forceDirectory(newEntryDirectory);
            }
        }
    }

    @Override
    public void deleteFile(String location) {
        try {
            Files.deleteIfExists(Path.of(path(location)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + location, e);
        }
    }

    /**
     * The regular files whose path starts with {@code prefix}, as S3 lists keys: a prefix ending in '/' is a
     * directory's contents, any other may end inside a file or directory name. Walks only the prefix's directory (or
     * its parent) and the subdirectories that can match, reading each file's attributes once.
     */
    @Override
    public Iterable<FileInfo> listPrefix(String prefix) {
        Path root = Path.of(path(prefix));
        String start = root + (prefix.endsWith("/") ? File.separator : "");
        Path dir = prefix.endsWith("/") ? root : root.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        List<FileInfo> found = new ArrayList<>();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    String name = d + File.separator;
                    return d.equals(dir) || name.startsWith(start) || start.startsWith(name)
                            ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && file.toString().startsWith(start)) {
                        found.add(new FileInfo(file.toString(), attrs.size(), attrs.lastModifiedTime().toMillis()));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // deleted while listed (a sweep, an expiry)
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + prefix, e);
        }
        return found;
    }

    @Override
    public void deletePrefix(String prefix) {
        for (FileInfo file : listPrefix(prefix)) {
            deleteFile(file.location());
        }
    }

    @Override
    public void initialize(Map<String, String> properties) {
        // Nothing to configure: local paths.
    }
}
