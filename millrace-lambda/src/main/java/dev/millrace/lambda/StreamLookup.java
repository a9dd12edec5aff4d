package dev.millrace.lambda;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the mapping API and the engine need to know of the server's streams, in the account's region the API serves
 * (the server implements it over its stream registry; tests use a fake).
 *
 * <p>Implementations are thread-safe.
 */
public interface StreamLookup {

    /** When the stream {@code streamArn} names was created (epoch ms), empty if there is no such stream. */
    OptionalLong streamCreatedMs(String streamArn);

    /**
     * The ARN of the stream of the registered consumer {@code consumerArn} names
     * ({@code arn:aws:kinesis:REGION:ACCOUNT:stream/NAME/consumer/CNAME:TIMESTAMP}), empty if no such consumer is
     * registered.
     */
    Optional<String> consumerStream(String consumerArn);
}
