package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.Account;

/**
 * Finds the stream a request is about: every stream operation accepts {@code StreamName} or {@code StreamARN}
 * ({@code StreamId} is accepted and ignored, as it is reserved on AWS).
 *
 * <p>Stateless, thread-safe.
 */
final class StreamRefs {
    private StreamRefs() {
    }

    static String name(Struct request, Account account) {
        String name = request.string("StreamName");
        String arn = request.string("StreamARN");
        if (arn != null) {
            String fromArn = account.streamNameOf(arn);
            if (fromArn == null) {
                throw KinesisException.resourceNotFound("Stream " + arn + " not found.");
            }
            if (name != null && !name.equals(fromArn)) {
                throw KinesisException.invalidArgument("StreamName " + name + " and StreamARN " + arn
                        + " refer to different streams.");
            }
            return fromArn;
        }
        if (name == null) {
            throw KinesisException.invalidArgument("Either StreamName or StreamARN should be provided.");
        }
        return name;
    }
}
