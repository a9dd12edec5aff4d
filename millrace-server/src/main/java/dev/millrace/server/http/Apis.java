package dev.millrace.server.http;

import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.cluster.ClusterCalls;
import dev.millrace.cloudwatch.CloudWatchApi;
import dev.millrace.sts.StsApi;

/**
 * The APIs served on Millrace's one port: Kinesis, the DynamoDB subset KCL keeps its leases in, the CloudWatch
 * subset it publishes metrics to, and the STS call the KPL asks for its account; and, on a node of a cluster, the
 * calls between nodes ({@code cluster}, null on a node alone). Immutable, thread-safe.
 */
public record Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts, ClusterCalls cluster) {

    /** The APIs of a node alone on its storage. */
    public Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts) {
        this(kinesis, dynamo, cloudWatch, sts, null);
    }
}
