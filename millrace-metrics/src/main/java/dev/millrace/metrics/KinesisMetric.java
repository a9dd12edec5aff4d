package dev.millrace.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code AWS/Kinesis} metrics Millrace records, with AWS's names, units and dimensions
 * (https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html), and the name each has in the
 * Prometheus exposition. Four levels: the stream's (dimension {@code StreamName}), an enhanced fan-out consumer's
 * ({@code StreamName}, {@code ConsumerName}), for streams whose enhanced monitoring lists them, a shard's
 * ({@code StreamName}, {@code ShardId}), and a channel's delivery to S3 ({@code ChannelName}, {@code ChannelId},
 * {@code StreamName}; https://docs.aws.amazon.com/streams/latest/dev/data-delivery-monitoring.html), as
 * {@code DeliveryToS3.*} or {@code DeliveryToIceberg.*} after the channel's destination. A fifth level is not
 * Kinesis's: an event source mapping's metrics, namespace {@code AWS/Lambda}
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), kept here so that they go the same way
 * to Prometheus and CloudWatch.
 *
 * <p>How a metric is exposed to Prometheus follows its {@link Kind}: a {@code SUM} is a counter of the values' sum
 * ({@code _total}), a {@code LATENCY} a summary of the calls' count and time ({@code _count}, {@code _sum}), an
 * {@code AGE} a gauge of the value last recorded.
 *
 * <p>Immutable, thread-safe.
 */
public enum KinesisMetric {
    INCOMING_BYTES(Level.STREAM, "IncomingBytes", Unit.BYTES, Kind.SUM, "kinesis_incoming_bytes",
            "Bytes (data and partition keys) of the records stored by PutRecord and PutRecords."),
    INCOMING_RECORDS(Level.STREAM, "IncomingRecords", Unit.COUNT, Kind.SUM, "kinesis_incoming_records",
            "Records stored by PutRecord and PutRecords."),
    PUT_RECORD_BYTES(Level.STREAM, "PutRecord.Bytes", Unit.BYTES, Kind.SUM, "kinesis_put_record_bytes",
            "Bytes put by successful PutRecord calls."),
    PUT_RECORD_LATENCY(Level.STREAM, "PutRecord.Latency", Unit.MILLISECONDS, Kind.LATENCY,
            "kinesis_put_record_latency_milliseconds", "Time taken by PutRecord calls."),
    PUT_RECORD_SUCCESS(Level.STREAM, "PutRecord.Success", Unit.COUNT, Kind.SUM, "kinesis_put_record_success",
            "Successful PutRecord calls (each call on a found stream is a sample of 1 or 0)."),
    PUT_RECORDS_BYTES(Level.STREAM, "PutRecords.Bytes", Unit.BYTES, Kind.SUM, "kinesis_put_records_bytes",
            "Bytes of the records PutRecords calls stored."),
    PUT_RECORDS_LATENCY(Level.STREAM, "PutRecords.Latency", Unit.MILLISECONDS, Kind.LATENCY,
            "kinesis_put_records_latency_milliseconds", "Time taken by PutRecords calls."),
    PUT_RECORDS_SUCCESS(Level.STREAM, "PutRecords.Success", Unit.COUNT, Kind.SUM, "kinesis_put_records_success",
            "PutRecords calls at least one record of which was stored (each call is a sample of 1 or 0)."),
    PUT_RECORDS_TOTAL_RECORDS(Level.STREAM, "PutRecords.TotalRecords", Unit.COUNT, Kind.SUM,
            "kinesis_put_records_total_records", "Records sent in PutRecords calls."),
    PUT_RECORDS_SUCCESSFUL_RECORDS(Level.STREAM, "PutRecords.SuccessfulRecords", Unit.COUNT, Kind.SUM,
            "kinesis_put_records_successful_records", "Records PutRecords calls stored."),
    PUT_RECORDS_FAILED_RECORDS(Level.STREAM, "PutRecords.FailedRecords", Unit.COUNT, Kind.SUM,
            "kinesis_put_records_failed_records", "Records PutRecords calls rejected for an internal failure."),
    PUT_RECORDS_THROTTLED_RECORDS(Level.STREAM, "PutRecords.ThrottledRecords", Unit.COUNT, Kind.SUM,
            "kinesis_put_records_throttled_records", "Records PutRecords calls rejected for throughput."),
    /** Deprecated by AWS for {@code PutRecords.SuccessfulRecords}, still published: dashboards read it. */
    PUT_RECORDS_RECORDS(Level.STREAM, "PutRecords.Records", Unit.COUNT, Kind.SUM, "kinesis_put_records_records",
            "Deprecated: the same as kinesis_put_records_successful_records."),
    GET_RECORDS_BYTES(Level.STREAM, "GetRecords.Bytes", Unit.BYTES, Kind.SUM, "kinesis_get_records_bytes",
            "Bytes (data and partition keys) GetRecords calls returned."),
    GET_RECORDS_ITERATOR_AGE(Level.STREAM, "GetRecords.IteratorAgeMilliseconds", Unit.MILLISECONDS, Kind.AGE,
            "kinesis_get_records_iterator_age_milliseconds",
            "Age of the last record the last GetRecords call returned (0 when it returned none)."),
    GET_RECORDS_LATENCY(Level.STREAM, "GetRecords.Latency", Unit.MILLISECONDS, Kind.LATENCY,
            "kinesis_get_records_latency_milliseconds", "Time taken by GetRecords calls."),
    GET_RECORDS_RECORDS(Level.STREAM, "GetRecords.Records", Unit.COUNT, Kind.SUM, "kinesis_get_records_records",
            "Records GetRecords calls returned."),
    GET_RECORDS_SUCCESS(Level.STREAM, "GetRecords.Success", Unit.COUNT, Kind.SUM, "kinesis_get_records_success",
            "Successful GetRecords calls (each call on a found stream is a sample of 1 or 0)."),
    READ_THROTTLED(Level.STREAM, "ReadProvisionedThroughputExceeded", Unit.COUNT, Kind.SUM,
            "kinesis_read_provisioned_throughput_exceeded", "GetRecords calls throttled."),
    WRITE_THROTTLED(Level.STREAM, "WriteProvisionedThroughputExceeded", Unit.COUNT, Kind.SUM,
            "kinesis_write_provisioned_throughput_exceeded", "Records rejected for write throughput."),

    SUBSCRIBE_TO_SHARD_RATE_EXCEEDED(Level.CONSUMER, "SubscribeToShard.RateExceeded", Unit.COUNT, Kind.SUM,
            "kinesis_subscribe_to_shard_rate_exceeded",
            "SubscribeToShard calls refused because the consumer subscribed to the shard within 5 seconds."),
    SUBSCRIBE_TO_SHARD_SUCCESS(Level.CONSUMER, "SubscribeToShard.Success", Unit.COUNT, Kind.SUM,
            "kinesis_subscribe_to_shard_success",
            "Subscriptions established (each call on a found stream is a sample of 1 or 0)."),
    SUBSCRIBE_TO_SHARD_EVENT_BYTES(Level.CONSUMER, "SubscribeToShardEvent.Bytes", Unit.BYTES, Kind.SUM,
            "kinesis_subscribe_to_shard_event_bytes", "Bytes (data and partition keys) sent in events."),
    SUBSCRIBE_TO_SHARD_EVENT_MILLIS_BEHIND(Level.CONSUMER, "SubscribeToShardEvent.MillisBehindLatest",
            Unit.MILLISECONDS, Kind.AGE, "kinesis_subscribe_to_shard_event_millis_behind_latest",
            "MillisBehindLatest of the last event sent."),
    SUBSCRIBE_TO_SHARD_EVENT_RECORDS(Level.CONSUMER, "SubscribeToShardEvent.Records", Unit.COUNT, Kind.SUM,
            "kinesis_subscribe_to_shard_event_records", "Records sent in events."),
    SUBSCRIBE_TO_SHARD_EVENT_SUCCESS(Level.CONSUMER, "SubscribeToShardEvent.Success", Unit.COUNT, Kind.SUM,
            "kinesis_subscribe_to_shard_event_success",
            "Events sent (each is a sample of 1; a subscription ended by an error event, a sample of 0)."),

    SHARD_INCOMING_BYTES(Level.SHARD, "IncomingBytes", Unit.BYTES, Kind.SUM, "kinesis_shard_incoming_bytes",
            "Enhanced monitoring: bytes stored in the shard."),
    SHARD_INCOMING_RECORDS(Level.SHARD, "IncomingRecords", Unit.COUNT, Kind.SUM, "kinesis_shard_incoming_records",
            "Enhanced monitoring: records stored in the shard."),
    SHARD_ITERATOR_AGE(Level.SHARD, "IteratorAgeMilliseconds", Unit.MILLISECONDS, Kind.AGE,
            "kinesis_shard_iterator_age_milliseconds",
            "Enhanced monitoring: age of the last record the shard's last GetRecords call returned."),
    SHARD_OUTGOING_BYTES(Level.SHARD, "OutgoingBytes", Unit.BYTES, Kind.SUM, "kinesis_shard_outgoing_bytes",
            "Enhanced monitoring: bytes read from the shard by GetRecords and SubscribeToShard."),
    SHARD_OUTGOING_RECORDS(Level.SHARD, "OutgoingRecords", Unit.COUNT, Kind.SUM, "kinesis_shard_outgoing_records",
            "Enhanced monitoring: records read from the shard by GetRecords and SubscribeToShard."),
    SHARD_READ_THROTTLED(Level.SHARD, "ReadProvisionedThroughputExceeded", Unit.COUNT, Kind.SUM,
            "kinesis_shard_read_provisioned_throughput_exceeded",
            "Enhanced monitoring: GetRecords calls on the shard throttled."),
    SHARD_WRITE_THROTTLED(Level.SHARD, "WriteProvisionedThroughputExceeded", Unit.COUNT, Kind.SUM,
            "kinesis_shard_write_provisioned_throughput_exceeded",
            "Enhanced monitoring: records rejected for the shard's write throughput."),

    CHANNEL_DATA_FRESHNESS(Level.CHANNEL, "DeliveryToS3.DataFreshness", Unit.SECONDS, Kind.AGE,
            "kinesis_channel_delivery_to_s3_data_freshness_seconds",
            "Age of the channel's oldest record not yet delivered (0 when all are), taken every second."),
    CHANNEL_BYTES_IN(Level.CHANNEL, "DeliveryToS3.BytesIn", Unit.BYTES, Kind.SUM,
            "kinesis_channel_delivery_to_s3_bytes_in", "Bytes (record data) read from the stream into batches."),
    CHANNEL_BYTES_PROCESSED(Level.CHANNEL, "DeliveryToS3.BytesProcessed", Unit.BYTES, Kind.SUM,
            "kinesis_channel_delivery_to_s3_bytes_processed",
            "Bytes (record data) of the records processed: written to the bucket or to the dead-letter bucket."),
    CHANNEL_BYTES_OUT(Level.CHANNEL, "DeliveryToS3.BytesOut", Unit.BYTES, Kind.SUM,
            "kinesis_channel_delivery_to_s3_bytes_out", "Bytes of the objects written to the bucket, compressed."),
    CHANNEL_RECORD_COUNT(Level.CHANNEL, "DeliveryToS3.RecordCount", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_s3_records", "Records read from the stream into delivered batches."),
    CHANNEL_SUCCESSFUL_RECORD_COUNT(Level.CHANNEL, "DeliveryToS3.SuccessfulRecordCount", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_s3_successful_records", "Records written to the bucket."),
    CHANNEL_FAILED_RECORD_COUNT(Level.CHANNEL, "DeliveryToS3.FailedRecordCount", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_s3_failed_records",
            "Records that could not be delivered (invalid for the format, too large): dead-lettered instead."),
    CHANNEL_DELIVERY_SUCCESS(Level.CHANNEL, "DeliveryToS3.DeliverySuccess", Unit.COUNT, Kind.SAMPLES,
            "kinesis_channel_delivery_to_s3_delivery_success",
            "Delivery operations: 1 per object written to the bucket, 0 per failed attempt (retried)."),
    CHANNEL_DLQ_DELIVERY_SUCCESS(Level.CHANNEL, "DeliveryToS3.DLQDeliverySuccess", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_s3_dlq_delivery_success", "Records written to the dead-letter bucket."),

    ICEBERG_DATA_FRESHNESS(Level.CHANNEL, "DeliveryToIceberg.DataFreshness", Unit.SECONDS, Kind.AGE,
            "kinesis_channel_delivery_to_iceberg_data_freshness_seconds",
            "Age of the channel's oldest record not yet committed to its table (0 when all are), taken every second."),
    ICEBERG_BYTES_IN(Level.CHANNEL, "DeliveryToIceberg.BytesIn", Unit.BYTES, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_bytes_in", "Bytes (record data) read from the stream into batches."),
    ICEBERG_BYTES_PROCESSED(Level.CHANNEL, "DeliveryToIceberg.BytesProcessed", Unit.BYTES, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_bytes_processed",
            "Bytes (record data) of the records processed: committed as rows or written to the dead-letter bucket."),
    ICEBERG_BYTES_OUT(Level.CHANNEL, "DeliveryToIceberg.BytesOut", Unit.BYTES, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_bytes_out", "Bytes of the Parquet data files committed, compressed."),
    ICEBERG_TOTAL_ROW_COUNT(Level.CHANNEL, "DeliveryToIceberg.TotalRowCount", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_total_rows", "Records read from the stream into committed batches."),
    ICEBERG_SUCCESSFUL_ROW_COUNT(Level.CHANNEL, "DeliveryToIceberg.SuccessfulRowCount", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_successful_rows", "Rows committed to the table."),
    ICEBERG_FAILED_ROW_COUNT(Level.CHANNEL, "DeliveryToIceberg.FailedRowCount", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_failed_rows",
            "Records that could not be rows (not JSON, not the schema, too large): dead-lettered instead."),
    ICEBERG_COMMIT_SUCCESS(Level.CHANNEL, "DeliveryToIceberg.CommitSuccess", Unit.COUNT, Kind.SAMPLES,
            "kinesis_channel_delivery_to_iceberg_commit_success",
            "Iceberg commits: 1 per batch committed to the table, 0 per failed attempt (retried)."),
    ICEBERG_DLQ_DELIVERY_SUCCESS(Level.CHANNEL, "DeliveryToIceberg.DLQDeliverySuccess", Unit.COUNT, Kind.SUM,
            "kinesis_channel_delivery_to_iceberg_dlq_delivery_success", "Records written to the dead-letter bucket."),

    MAPPING_INVOCATIONS(Level.MAPPING, "Invocations", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_invocations", MappingMeter.FUNCTION_NAME,
            "Invocations of the function that reached it (successful or failed with a function error)."),
    MAPPING_ERRORS(Level.MAPPING, "Errors", Unit.COUNT, Kind.SUM, "lambda_event_source_mapping_errors",
            MappingMeter.FUNCTION_NAME,
            "Invocations that ended in a function error (each invocation is a sample of 1 or 0)."),
    MAPPING_THROTTLES(Level.MAPPING, "Throttles", Unit.COUNT, Kind.SUM, "lambda_event_source_mapping_throttles",
            MappingMeter.FUNCTION_NAME,
            "Invocations the function's endpoint refused with 429 (retried without counting an attempt)."),
    MAPPING_DURATION(Level.MAPPING, "Duration", Unit.MILLISECONDS, Kind.LATENCY,
            "lambda_event_source_mapping_duration_milliseconds", MappingMeter.FUNCTION_NAME,
            "Time invocations that reached the function took, from sending the event to its answer."),
    MAPPING_ITERATOR_AGE(Level.MAPPING, "IteratorAge", Unit.MILLISECONDS, Kind.AGE,
            "lambda_event_source_mapping_iterator_age_milliseconds", MappingMeter.FUNCTION_NAME,
            "Age of the last record of the last invocation's batch when the invocation ended."),
    MAPPING_DESTINATION_DELIVERY_FAILURES(Level.MAPPING, "DestinationDeliveryFailures", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_destination_delivery_failures", MappingMeter.FUNCTION_NAME,
            "Invocation records the OnFailure destination refused (the batch is read again from the checkpoint)."),
    MAPPING_POLLED_EVENT_COUNT(Level.MAPPING, "PolledEventCount", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_polled_events", MappingMeter.MAPPING_UUID, "Records read from the stream."),
    MAPPING_INVOKED_EVENT_COUNT(Level.MAPPING, "InvokedEventCount", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_invoked_events", MappingMeter.MAPPING_UUID,
            "Records in invocations that reached the function (a record retried counts again)."),
    MAPPING_FILTERED_OUT_EVENT_COUNT(Level.MAPPING, "FilteredOutEventCount", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_filtered_out_events", MappingMeter.MAPPING_UUID,
            "Records the filter criteria kept out of invocations."),
    MAPPING_FAILED_INVOKE_EVENT_COUNT(Level.MAPPING, "FailedInvokeEventCount", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_failed_invoke_events", MappingMeter.MAPPING_UUID,
            "Records in invocations that did not succeed: function error, throttled, not delivered or too large."),
    MAPPING_DROPPED_EVENT_COUNT(Level.MAPPING, "DroppedEventCount", Unit.COUNT, Kind.SUM,
            "lambda_event_source_mapping_dropped_events", MappingMeter.MAPPING_UUID,
            "Records given up after their retries or their maximum age."),
    MAPPING_ON_FAILURE_DELIVERED_EVENT_COUNT(Level.MAPPING, "OnFailureDestinationDeliveredEventCount", Unit.COUNT,
            Kind.SUM, "lambda_event_source_mapping_on_failure_destination_delivered_events", MappingMeter.MAPPING_UUID,
            "Dropped records whose invocation record reached the OnFailure destination.");

    public static final String NAMESPACE = "AWS/Kinesis";
    /** The namespace of the {@link Level#MAPPING} metrics. */
    public static final String LAMBDA_NAMESPACE = "AWS/Lambda";

    /** Whose metric it is, which says its dimensions. */
    public enum Level {
        STREAM, CONSUMER, SHARD,
        /** A channel's delivery: dimensions {@code ChannelName}, {@code ChannelId}, {@code StreamName}. */
        CHANNEL,
        /**
         * An event source mapping's, in {@code AWS/Lambda}: recorded per mapping, published to CloudWatch with the one
         * dimension AWS gives the metric ({@link #cloudWatchDimension}): {@code FunctionName} or
         * {@code EventSourceMappingUUID}.
         */
        MAPPING
    }

    /** CloudWatch's units. */
    public enum Unit {
        BYTES("Bytes"), COUNT("Count"), MILLISECONDS("Milliseconds"), SECONDS("Seconds");

        private final String cloudWatchName;

        Unit(String cloudWatchName) {
            this.cloudWatchName = cloudWatchName;
        }

        public String cloudWatchName() {
            return cloudWatchName;
        }
    }

    /** How Prometheus shows it (see the class comment). */
    public enum Kind {
        SUM, LATENCY, AGE,
        /** Samples of 1 (success) or 0 (failure): a summary, {@code _count} the tries, {@code _sum} the successes. */
        SAMPLES
    }

    private static final Map<Level, List<KinesisMetric>> BY_LEVEL = new EnumMap<>(Level.class);

    static {
        for (Level level : Level.values()) {
            BY_LEVEL.put(level, new ArrayList<>());
        }
        for (KinesisMetric m : values()) {
            List<KinesisMetric> list = BY_LEVEL.get(m.level);
            m.slot = list.size();
            list.add(m);
        }
        BY_LEVEL.replaceAll((level, list) -> Collections.unmodifiableList(list));
    }

    private final Level level;
    private final String awsName;
    private final Unit unit;
    private final Kind kind;
    private final String prometheusName;
    private final String help;
    /** The one dimension CloudWatch gets, or null for all of the series'. */
    private final String cloudWatchDimension;
    /** The metric's index among its level's (what a series' arrays are indexed by). */
    private int slot;

    KinesisMetric(Level level, String awsName, Unit unit, Kind kind, String prometheusName, String help) {
        this(level, awsName, unit, kind, prometheusName, null, help);
    }

    KinesisMetric(Level level, String awsName, Unit unit, Kind kind, String prometheusName,
                  String cloudWatchDimension, String help) {
        this.level = level;
        this.awsName = awsName;
        this.unit = unit;
        this.kind = kind;
        this.prometheusName = prometheusName;
        this.cloudWatchDimension = cloudWatchDimension;
        this.help = help;
    }

    /** {@code AWS/Lambda} for a mapping's metrics, else {@code AWS/Kinesis}. */
    public String namespace() {
        return level == Level.MAPPING ? LAMBDA_NAMESPACE : NAMESPACE;
    }

    /**
     * The dimensions CloudWatch gets of a series of the metric: all of them, but for a mapping's metric only the one
     * AWS gives it (a function-level metric sums the function's mappings, as on AWS).
     */
    Map<String, String> cloudWatchDimensions(Map<String, String> seriesDimensions) {
        return cloudWatchDimension == null ? seriesDimensions
                : Map.of(cloudWatchDimension, seriesDimensions.get(cloudWatchDimension));
    }

    public Level level() {
        return level;
    }

    public String awsName() {
        return awsName;
    }

    public Unit unit() {
        return unit;
    }

    public Kind kind() {
        return kind;
    }

    /** The name in the Prometheus exposition, before the suffix its kind adds ({@code _total} to a counter). */
    public String prometheusName() {
        return prometheusName;
    }

    public String help() {
        return help;
    }

    int slot() {
        return slot;
    }

    /**
     * How many recorded units make one of {@link #unit}: latencies are recorded in microseconds (a call on this
     * machine often takes less than a millisecond) and published in milliseconds, ages in seconds are recorded in
     * milliseconds (a channel's freshness is read from the clock); everything else as it is.
     */
    public double recordedPerUnit() {
        return kind == Kind.LATENCY || unit == Unit.SECONDS ? 1000.0 : 1.0;
    }

    /** A level's metrics, in declaration order. */
    public static List<KinesisMetric> of(Level level) {
        return BY_LEVEL.get(level);
    }
}
