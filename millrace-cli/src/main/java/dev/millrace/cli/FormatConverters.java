package dev.millrace.cli;

import picocli.CommandLine;

import java.util.Locale;

/**
 * picocli converters for the format options, so that {@code --format json} works in any letter case whatever the
 * enclosing command line's settings.
 *
 * <p>Stateless, thread-safe.
 */
final class FormatConverters {
    private FormatConverters() {
    }

    static final class Record implements CommandLine.ITypeConverter<RecordFormat> {
        @Override
        public RecordFormat convert(String value) {
            try {
                return RecordFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected text, json or hex, not " + value);
            }
        }
    }

    static final class Output implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            try {
                return OutputFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("expected text or json, not " + value);
            }
        }
    }
}
