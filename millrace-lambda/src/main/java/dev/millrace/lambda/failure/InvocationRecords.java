package dev.millrace.lambda.failure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Makes and writes OnFailure invocation records (facts §5).
 *
 * <p>Layouts (compact JSON; a field of {@code responseContext} is left out with it for RecordAgeExceeded):
 * <pre>
 * message (SQS body, SNS Message, Kinesis record data), AWS's order:
 *   {"requestContext":{"requestId":S,"functionArn":S,"condition":S,"approximateInvokeCount":N},
 *    "responseContext":{"statusCode":N,"executedVersion":S,"functionError":S|null},
 *    "version":"1.0","timestamp":TS,
 *    "KinesisBatchInfo":{"shardId":S,"startSequenceNumber":S,"endSequenceNumber":S,
 *                        "approximateArrivalOfFirstRecord":TS,"approximateArrivalOfLastRecord":TS,
 *                        "batchSize":N,"streamArn":S}}
 * S3 object body: the same fields plus "payload" (the event exactly as sent), keys sorted at every level as AWS
 * writes them there (payload's inside excepted, it is the sent bytes):
 *   {"KinesisBatchInfo":{approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord, batchSize,
 *                        endSequenceNumber, shardId, startSequenceNumber, streamArn},
 *    "payload":EVENT,
 *    "requestContext":{approximateInvokeCount, condition, functionArn, requestId},
 *    "responseContext":{executedVersion, functionError, statusCode},
 *    "timestamp":TS,"version":"1.0"}
 * S3 object key:      aws/lambda/ESM-UUID/SHARD-ID/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-RANDOM-UUID   (UTC, the timestamp's)
 * Kinesis stream destination (a Millrace extension: AWS allows SQS, SNS and S3 only):
 *   data = the message JSON; partition key = ESM-UUID:SHARD-ID
 *
 * TS = UTC, millisecond precision, 2019-11-14T00:38:06.021Z
 * </pre>
 * The stream destination's partition key keeps one mapping's records about one source shard in order on one
 * destination shard (a consumer replays them in the order they failed), while different mappings and shards spread
 * over the destination's shards; the source shard id alone would pile every stream's shard 0 onto one shard.
 *
 * <p>Thread-safe: the clock and the UUID source are the only state, and both are (a {@link Clock} is immutable;
 * {@link UUID#randomUUID} is thread-safe; an injected supplier must be).
 */
public final class InvocationRecords {
    private static final String VERSION = "1.0";
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter KEY_TIME =
            DateTimeFormatter.ofPattern("uuuu/MM/dd/uuuu-MM-dd'T'HH.mm.ss").withZone(ZoneOffset.UTC);

    private final Clock clock;
    private final Supplier<UUID> uuids;

    public InvocationRecords(Clock clock) {
        this(clock, UUID::randomUUID);
    }

    public InvocationRecords(Clock clock, Supplier<UUID> uuids) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.uuids = Objects.requireNonNull(uuids, "uuids");
    }

    /** A record stamped now, with a fresh request id. */
    public InvocationRecord record(String functionArn, InvocationRecord.Condition condition,
                                   int approximateInvokeCount, InvocationRecord.ResponseContext response,
                                   KinesisBatchInfo batchInfo) {
        return new InvocationRecord(uuids.get().toString(), functionArn, condition, approximateInvokeCount, response,
                clock.instant(), batchInfo);
    }

    /** The record as SQS, SNS and Kinesis-stream destinations get it. */
    public static byte[] messageJson(InvocationRecord record) {
        return write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("requestContext");
            g.writeStringField("requestId", record.requestId());
            g.writeStringField("functionArn", record.functionArn());
            g.writeStringField("condition", record.condition().awsName());
            g.writeNumberField("approximateInvokeCount", record.approximateInvokeCount());
            g.writeEndObject();
            InvocationRecord.ResponseContext response = record.response();
            if (response != null) {
                g.writeObjectFieldStart("responseContext");
                g.writeNumberField("statusCode", response.statusCode());
                g.writeStringField("executedVersion", response.executedVersion());
                g.writeStringField("functionError", response.functionError());
                g.writeEndObject();
            }
            g.writeStringField("version", VERSION);
            g.writeStringField("timestamp", timestamp(record.timestamp()));
            KinesisBatchInfo info = record.batchInfo();
            g.writeObjectFieldStart("KinesisBatchInfo");
            g.writeStringField("shardId", info.shardId());
            g.writeStringField("startSequenceNumber", info.startSequenceNumber());
            g.writeStringField("endSequenceNumber", info.endSequenceNumber());
            g.writeStringField("approximateArrivalOfFirstRecord", timestamp(info.firstArrivalMs()));
            g.writeStringField("approximateArrivalOfLastRecord", timestamp(info.lastArrivalMs()));
            g.writeNumberField("batchSize", info.batchSize());
            g.writeStringField("streamArn", info.streamArn());
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** The S3 object's body: the record with {@code payload}, the event bytes exactly as sent (one JSON object). */
    public static byte[] s3ObjectJson(InvocationRecord record, byte[] payload) {
        String event = new String(payload, StandardCharsets.UTF_8);
        return write(g -> {
            g.writeStartObject();
            KinesisBatchInfo info = record.batchInfo();
            g.writeObjectFieldStart("KinesisBatchInfo");
            g.writeStringField("approximateArrivalOfFirstRecord", timestamp(info.firstArrivalMs()));
            g.writeStringField("approximateArrivalOfLastRecord", timestamp(info.lastArrivalMs()));
            g.writeNumberField("batchSize", info.batchSize());
            g.writeStringField("endSequenceNumber", info.endSequenceNumber());
            g.writeStringField("shardId", info.shardId());
            g.writeStringField("startSequenceNumber", info.startSequenceNumber());
            g.writeStringField("streamArn", info.streamArn());
            g.writeEndObject();
            g.writeFieldName("payload");
            g.writeRawValue(event);
            g.writeObjectFieldStart("requestContext");
            g.writeNumberField("approximateInvokeCount", record.approximateInvokeCount());
            g.writeStringField("condition", record.condition().awsName());
            g.writeStringField("functionArn", record.functionArn());
            g.writeStringField("requestId", record.requestId());
            g.writeEndObject();
            InvocationRecord.ResponseContext response = record.response();
            if (response != null) {
                g.writeObjectFieldStart("responseContext");
                g.writeStringField("executedVersion", response.executedVersion());
                g.writeStringField("functionError", response.functionError());
                g.writeNumberField("statusCode", response.statusCode());
                g.writeEndObject();
            }
            g.writeStringField("timestamp", timestamp(record.timestamp()));
            g.writeStringField("version", VERSION);
            g.writeEndObject();
        });
    }

    /** The S3 object key for {@code record} of mapping {@code mappingUuid}; a fresh random UUID ends it. */
    public String s3Key(String mappingUuid, InvocationRecord record) {
        return "aws/lambda/" + mappingUuid + "/" + record.batchInfo().shardId() + "/"
                + KEY_TIME.format(record.timestamp()) + "-" + uuids.get();
    }

    /** The partition key of {@code record} of mapping {@code mappingUuid} on a Kinesis-stream destination. */
    public static String streamPartitionKey(String mappingUuid, InvocationRecord record) {
        return mappingUuid + ":" + record.batchInfo().shardId();
    }

    static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    private static String timestamp(long epochMs) {
        return TIMESTAMP.format(Instant.ofEpochMilli(epochMs));
    }

    /** Writes with Jackson into memory: an IOException here is a bug, not an IO condition. */
    private static byte[] write(JsonWriting writing) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writing.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @FunctionalInterface
    private interface JsonWriting {
        void write(JsonGenerator g) throws IOException;
    }
}
