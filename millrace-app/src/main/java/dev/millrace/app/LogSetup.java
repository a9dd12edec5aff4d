package dev.millrace.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import dev.millrace.server.http.HttpServer;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/**
 * Applies {@code --log-level}, {@code --log-format} and {@code --request-log} to logback, over its configuration (the
 * jar's {@code logback.xml}, or the file of {@code -Dlogback.configurationFile}):
 * <ul>
 *   <li>{@code --log-level} sets the root logger's level (Netty and the Kafka clients stay at WARN unless a
 *   configuration file says otherwise);</li>
 *   <li>{@code --log-format json} gives every appender of the root logger logback's {@link JsonEncoder}: one JSON
 *   object per line, with {@code timestamp} (epoch ms), {@code level}, {@code threadName}, {@code loggerName},
 *   {@code kvpList} (the line's key-value pairs: lifecycle and request-log fields) and {@code formattedMessage};</li>
 *   <li>{@code --request-log} turns the request log on (logger {@code dev.millrace.server.http.RequestLog} at
 *   INFO).</li>
 * </ul>
 * With another SLF4J backend than logback only the request log is switched; the rest is that backend's business.
 *
 * <p>Not thread-safe; called once, before the server starts.
 */
final class LogSetup {
    static final String REQUEST_LOGGER = "dev.millrace.server.http.RequestLog";

    /** {@code --log-format}. */
    enum Format { TEXT, JSON }

    /** {@code --log-level}: logback's levels. */
    enum LogLevel {
        TRACE(Level.TRACE), DEBUG(Level.DEBUG), INFO(Level.INFO), WARN(Level.WARN), ERROR(Level.ERROR), OFF(Level.OFF);

        private final Level level;

        LogLevel(Level level) {
            this.level = level;
        }
    }

    private LogSetup() {
    }

    /** Applies the options; {@code level} null keeps the configured root level. */
    static void apply(LogLevel level, Format format, boolean requestLog) {
        HttpServer.logRequests(requestLog);
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (level != null) {
            root.setLevel(level.level);
        }
        if (requestLog) {
            context.getLogger(REQUEST_LOGGER).setLevel(Level.INFO);
        }
        if (format == Format.JSON) {
            for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
                if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
                    appender.stop();
                    appender.setEncoder(jsonEncoder(context));
                    appender.start();
                }
            }
        }
    }

    private static JsonEncoder jsonEncoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        // What a log collector needs, without the context's properties, the (unused) MDC and the unformatted message
        // on every line.
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithMDC(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        return encoder;
    }
}
