package dev.millrace.iceberg;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import dev.millrace.storage.log.FileModes;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;
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
 * <p>Stateless and thread-safe. Iceberg creates it by class name ({@code io-impl}), hence the public no-arg
 * constructor.
 */
public final class LocalFileIO implements FileIO, SupportsPrefixOperations {

    private static final int BUFFER_BYTES = 64 * 1024;

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
                FileModes.createPrivateDirectories(parent.toPath());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create directory " + parent, e);
            }
        }
        return new PrivateOutputFile(file);
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
            return open();
        }

        @Override
        public PositionOutputStream createOrOverwrite() {
            try {
                Files.createFile(file.toPath(), FileModes.privateFileAttributes(file.toPath()));
            } catch (FileAlreadyExistsException e) {
                // Overwritten in place: it keeps its mode.
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + file, e);
            }
            return open();
        }

        private PositionOutputStream open() {
            try {
                return new CountingStream(new BufferedOutputStream(Files.newOutputStream(file.toPath(),
                        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), BUFFER_BYTES));
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

    /** A stream that knows how many bytes went through it: Parquet asks for its position. Not thread-safe. */
    private static final class CountingStream extends PositionOutputStream {
        private final OutputStream out;
        private long position;

        CountingStream(OutputStream out) {
            this.out = out;
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
            out.close();
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

    @Override
    public Iterable<FileInfo> listPrefix(String prefix) {
        Path root = Path.of(path(prefix));
        Path dir = Files.isDirectory(root) ? root : root.getParent();
        String start = root.toString();
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().startsWith(start))
                    .map(p -> new FileInfo(p.toString(), p.toFile().length(), p.toFile().lastModified()))
                    .toList();
        } catch (NoSuchFileException e) {
            return java.util.List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + prefix, e);
        }
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
