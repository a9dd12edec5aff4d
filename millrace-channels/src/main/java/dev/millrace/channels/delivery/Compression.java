package dev.millrace.channels.delivery;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * A channel's S3 {@code CompressionType}: the whole object is one GZIP member or one ZSTD frame.
 *
 * <p>Output is deterministic for the same records (a retried delivery rewrites the same bytes): GZIP's header carries
 * no time or name (Java writes MTIME 0), ZSTD runs single-threaded at a fixed level without dictionary, and both get
 * their input through a fixed-size buffer. (A JVM whose zlib or zstd library differs may compress the same records to
 * other bytes; the key, and so the exactly-once overwrite, stays the same.)
 *
 * <p>Stateless and thread-safe.
 */
public enum Compression {
    NONE(""),
    GZIP(".gz"),
    ZSTD(".zst");

    /** zstd's default level: fast, and about gzip -6's ratio. */
    private static final int ZSTD_LEVEL = 3;
    private static final int BUFFER_BYTES = 64 * 1024;

    private final String extension;

    Compression(String extension) {
        this.extension = extension;
    }

    /** The extension {@code !{extension}} expands to. */
    public String extension() {
        return extension;
    }

    /** Wraps {@code out} so that what is written to the result is compressed; closing it finishes and closes out. */
    public OutputStream compress(OutputStream out) throws IOException {
        return switch (this) {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out, BUFFER_BYTES) {
                {
                    def.setLevel(Deflater.DEFAULT_COMPRESSION);
                }
            };
            case ZSTD -> {
                ZstdOutputStream zstd = new ZstdOutputStream(out, ZSTD_LEVEL);
                zstd.setChecksum(true);
                zstd.setWorkers(0);
                yield zstd;
            }
        };
    }

    /**
     * Parses a CompressionType as the API spells it.
     *
     * @throws IllegalArgumentException for an unknown name (SNAPPY is for Iceberg only)
     */
    public static Compression of(String compressionType) {
        try {
            return valueOf(compressionType);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("CompressionType " + compressionType
                    + " is not one of NONE, GZIP, ZSTD for an S3 bucket");
        }
    }
}
