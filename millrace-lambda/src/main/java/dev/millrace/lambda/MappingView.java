package dev.millrace.lambda;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.millrace.lambda.mapping.EventSourceMapping;

import java.io.IOException;

/**
 * A mapping as Lambda answers it for a Kinesis source (EventSourceMappingConfiguration, facts §1.6): the stream
 * members always, with their defaults ({@code DestinationConfig:{"OnFailure":{}}} when no destination is set,
 * {@code FunctionResponseTypes:[]}); {@code FilterCriteria}, {@code KMSKeyArn}, {@code MetricsConfig} and
 * {@code StartingPositionTimestamp} only when set; never {@code Enabled} (the State says it) nor the tags.
 *
 * <p>Stateless, thread-safe.
 */
final class MappingView {
    private MappingView() {
    }

    static byte[] of(EventSourceMapping m, String mappingArn) {
        return LambdaJson.object(g -> members(g, m, mappingArn));
    }

    static void members(JsonGenerator g, EventSourceMapping m, String mappingArn) throws IOException {
        g.writeStringField("UUID", m.uuid());
        g.writeStringField("StartingPosition", m.startingPosition());
        if (m.startingPositionTimestampMs() != null) {
            g.writeFieldName("StartingPositionTimestamp");
            g.writeNumber(LambdaJson.epochSeconds(m.startingPositionTimestampMs()));
        }
        g.writeNumberField("BatchSize", m.batchSize());
        g.writeNumberField("MaximumBatchingWindowInSeconds", m.maximumBatchingWindowSeconds());
        g.writeNumberField("ParallelizationFactor", m.parallelizationFactor());
        g.writeStringField("EventSourceArn", m.eventSourceArn());
        if (!m.filterPatterns().isEmpty()) {
            g.writeObjectFieldStart("FilterCriteria");
            g.writeArrayFieldStart("Filters");
            for (String pattern : m.filterPatterns()) {
                g.writeStartObject();
                g.writeStringField("Pattern", pattern);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        if (m.kmsKeyArn() != null) {
            g.writeStringField("KMSKeyArn", m.kmsKeyArn());
        }
        if (m.metrics() != null) {
            g.writeObjectFieldStart("MetricsConfig");
            writeStrings(g, "Metrics", m.metrics());
            g.writeEndObject();
        }
        g.writeStringField("FunctionArn", m.functionArn());
        g.writeFieldName("LastModified");
        g.writeNumber(LambdaJson.epochSeconds(m.lastModifiedMs()));
        g.writeStringField("LastProcessingResult", m.lastProcessingResult());
        g.writeStringField("State", m.state().text());
        g.writeStringField("StateTransitionReason", m.stateTransitionReason());
        g.writeObjectFieldStart("DestinationConfig");
        g.writeObjectFieldStart("OnFailure");
        if (m.onFailureDestination() != null) {
            g.writeStringField("Destination", m.onFailureDestination());
        }
        g.writeEndObject();
        g.writeEndObject();
        g.writeNumberField("MaximumRecordAgeInSeconds", m.maximumRecordAgeSeconds());
        g.writeBooleanField("BisectBatchOnFunctionError", m.bisectBatchOnFunctionError());
        g.writeNumberField("MaximumRetryAttempts", m.maximumRetryAttempts());
        g.writeNumberField("TumblingWindowInSeconds", m.tumblingWindowSeconds());
        writeStrings(g, "FunctionResponseTypes", m.functionResponseTypes());
        g.writeStringField("EventSourceMappingArn", mappingArn);
    }

    private static void writeStrings(JsonGenerator g, String name, java.util.List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }
}
