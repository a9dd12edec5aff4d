package dev.millrace.server.http;

import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.cloudwatch.CloudWatchApi;

/**
 * The three APIs served on Millrace's one port: Kinesis, the DynamoDB subset KCL keeps its leases in, and the
 * CloudWatch subset it publishes metrics to. Immutable, thread-safe.
 */
public record Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch) {
}
