package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * One Kinesis operation. Implementations are named after the operation ({@code PutRecordsHandler}) and link its API
 * reference page.
 *
 * <p>Implementations are thread-safe: one instance serves all requests.
 */
public interface OperationHandler {

    /**
     * Handles a request that has passed model validation, writing the members of the response object into
     * {@code out} (which is already inside the top-level object; operations without output write nothing).
     *
     * @throws dev.millrace.protocol.KinesisException for every error the client should see
     */
    void handle(Struct request, WireWriter out);
}
