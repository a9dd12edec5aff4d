package dev.millrace.iceberg;

import java.util.Locale;

/**
 * A channel's S3 Tables {@code CompressionType}: the Parquet codec of its data files ({@code
 * write.parquet.compression-codec}). Stateless and thread-safe.
 */
public enum TableCompression {
    NONE("uncompressed"),
    ZSTD("zstd"),
    SNAPPY("snappy");

    private final String parquetCodec;

    TableCompression(String parquetCodec) {
        this.parquetCodec = parquetCodec;
    }

    /** The value of Iceberg's {@code write.parquet.compression-codec}. */
    public String parquetCodec() {
        return parquetCodec;
    }

    /** From the API's CompressionType (NONE, ZSTD, SNAPPY). */
    public static TableCompression of(String compressionType) {
        return valueOf(compressionType.toUpperCase(Locale.ROOT));
    }
}
