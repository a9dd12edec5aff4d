package dev.millrace.lambda;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/** The server's streams as a test sets them. Thread-safe. */
final class FakeStreams implements StreamLookup {
    private final Map<String, Long> createdMs = new ConcurrentHashMap<>();
    private final Map<String, String> consumers = new ConcurrentHashMap<>();

    FakeStreams stream(String arn, long created) {
        createdMs.put(arn, created);
        return this;
    }

    FakeStreams consumer(String consumerArn, String streamArn) {
        consumers.put(consumerArn, streamArn);
        return this;
    }

    @Override
    public OptionalLong streamCreatedMs(String streamArn) {
        Long ms = createdMs.get(streamArn);
        return ms == null ? OptionalLong.empty() : OptionalLong.of(ms);
    }

    @Override
    public Optional<String> consumerStream(String consumerArn) {
        return Optional.ofNullable(consumers.get(consumerArn));
    }
}
