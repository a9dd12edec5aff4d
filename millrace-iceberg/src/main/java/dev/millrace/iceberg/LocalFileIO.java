package dev.millrace.iceberg;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
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
        if (parent != null && !parent.isDirectory() && !parent.mkdirs() && !parent.isDirectory()) {
            throw new UncheckedIOException(new IOException("cannot create directory " + parent));
        }
        return org.apache.iceberg.Files.localOutput(file);
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
