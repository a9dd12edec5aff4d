package dev.millrace.channels.table;

import java.io.IOException;
import java.time.Clock;

/**
 * How a server opens its {@link TableSink}: the application knows which catalog (an option), the server owns the
 * sink's life (opened with the channel delivery, closed with it).
 *
 * <p>Implementations are thread-safe and hold no resources until {@link #open}.
 */
@FunctionalInterface
public interface TableSinkFactory {
    /**
     * @param maxRecordBytes the largest record payload (inflated) that becomes a row; larger ones are rejected
     * @param clock          the server's clock
     */
    TableSink open(long maxRecordBytes, Clock clock) throws IOException;
}
