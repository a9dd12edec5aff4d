package dev.millrace.server.http;

import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.glue.GlueApi;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.lambda.LambdaApi;
import dev.millrace.lambda.StreamLookup;
import dev.millrace.protocol.Account;
import dev.millrace.server.state.RegionMetadata;
import dev.millrace.storage.MetadataStore;
import dev.millrace.metrics.PrometheusExposition;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.cluster.ClusterCalls;
import dev.millrace.server.security.PolicyGatekeeper;
import dev.millrace.server.security.RequestAuthenticator;
import dev.millrace.cloudwatch.CloudWatchApi;
import dev.millrace.sts.StsApi;

import java.time.Clock;

/**
 * The APIs served on Millrace's one port: Kinesis, the DynamoDB subset KCL keeps its leases in, the CloudWatch
 * subset it publishes metrics to, and the STS call the KPL asks for its account; and, on a node of a cluster, the
 * calls between nodes ({@code cluster}, null on a node alone). Each account has DynamoDB tables and CloudWatch
 * metrics of its own ({@code dynamo} and {@code cloudWatch} serve the server's own account). {@code authenticator}
 * verifies every request's signature ({@code --auth sigv4}; null with {@code --auth none}) and {@code gatekeeper}
 * evaluates the DynamoDB and CloudWatch calls' policies (Kinesis's are evaluated by the Kinesis API). {@code metrics}
 * is what {@code GET /metrics} shows on this port (null: the port does not serve it, see {@link MetricsListener});
 * {@code readiness} answers {@code GET /health/ready} ({@link HealthEndpoints}). {@code glueOfAccount} is the Glue
 * Schema Registry subset of each account's region ({@link #withGlue}; null: not served, its calls are answered as
 * unknown Kinesis operations). {@code lambdaOfAccount} is Lambda's event source mapping API of each account's region
 * ({@link #withLambda}; null: not served). Immutable, thread-safe.
 */
public record Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts, ClusterCalls cluster,
                   RequestAuthenticator authenticator, PolicyGatekeeper gatekeeper,
                   PerAccount<DynamoApi> dynamoOfAccount, PerAccount<CloudWatchApi> cloudWatchOfAccount,
                   PrometheusExposition metrics, Readiness readiness, PerAccount<GlueApi> glueOfAccount,
                   PerAccount<LambdaApi> lambdaOfAccount) {

    /** Without the Glue Schema Registry subset and Lambda's event source mappings. */
    public Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts, ClusterCalls cluster,
                RequestAuthenticator authenticator, PolicyGatekeeper gatekeeper,
                PerAccount<DynamoApi> dynamoOfAccount, PerAccount<CloudWatchApi> cloudWatchOfAccount,
                PrometheusExposition metrics, Readiness readiness) {
        this(kinesis, dynamo, cloudWatch, sts, cluster, authenticator, gatekeeper, dynamoOfAccount,
                cloudWatchOfAccount, metrics, readiness, null, null);
    }

    /**
     * The same APIs, with the Glue Schema Registry subset kept in {@code metadata}: one {@link GlueApi} per account
     * and region, on that account's region's keys ({@link RegionMetadata}), where {@code ownAccountId} is the
     * server's own account.
     */
    public Apis withGlue(MetadataStore metadata, Clock clock, String ownAccountId) {
        PerAccount<GlueApi> glue = new PerAccount<>(key -> {
            int slash = key.indexOf('/');
            Account scope = new Account(key.substring(slash + 1), key.substring(0, slash));
            return new GlueApi(RegionMetadata.of(metadata, scope, ownAccountId), clock, scope.region(), scope.id());
        });
        return new Apis(kinesis, dynamo, cloudWatch, sts, cluster, authenticator, gatekeeper, dynamoOfAccount,
                cloudWatchOfAccount, metrics, readiness, glue, lambdaOfAccount);
    }

    /**
     * The same APIs, with Lambda's event source mappings kept in {@code metadata}: one {@link LambdaApi} per account
     * and region, on that account's region's keys ({@link RegionMetadata}), invoking {@code functions} and mapping
     * the streams {@code streams} knows.
     */
    public Apis withLambda(MetadataStore metadata, Clock clock, String ownAccountId, FunctionRegistry functions,
                           StreamLookup streams) {
        PerAccount<LambdaApi> lambda = new PerAccount<>(key -> {
            int slash = key.indexOf('/');
            Account scope = new Account(key.substring(slash + 1), key.substring(0, slash));
            return new LambdaApi(RegionMetadata.of(metadata, scope, ownAccountId), clock, scope, functions, streams);
        });
        return new Apis(kinesis, dynamo, cloudWatch, sts, cluster, authenticator, gatekeeper, dynamoOfAccount,
                cloudWatchOfAccount, metrics, readiness, glueOfAccount, lambda);
    }

    /** Serving {@code metrics}, ready as soon as it listens ({@link Readiness#ALWAYS}). */
    public Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts, ClusterCalls cluster,
                RequestAuthenticator authenticator, PolicyGatekeeper gatekeeper,
                PerAccount<DynamoApi> dynamoOfAccount, PerAccount<CloudWatchApi> cloudWatchOfAccount,
                PrometheusExposition metrics) {
        this(kinesis, dynamo, cloudWatch, sts, cluster, authenticator, gatekeeper, dynamoOfAccount,
                cloudWatchOfAccount, metrics, Readiness.ALWAYS);
    }

    /** Without {@code GET /metrics}, ready as soon as it listens. */
    public Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts, ClusterCalls cluster,
                RequestAuthenticator authenticator, PolicyGatekeeper gatekeeper,
                PerAccount<DynamoApi> dynamoOfAccount, PerAccount<CloudWatchApi> cloudWatchOfAccount) {
        this(kinesis, dynamo, cloudWatch, sts, cluster, authenticator, gatekeeper, dynamoOfAccount,
                cloudWatchOfAccount, null, Readiness.ALWAYS);
    }

    /** The APIs of a node that authenticates nobody ({@code --auth none}): one account. */
    public Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts, ClusterCalls cluster) {
        this(kinesis, dynamo, cloudWatch, sts, cluster, null, new PolicyGatekeeper(Clock.systemUTC()),
                PerAccount.single(dynamo), PerAccount.single(cloudWatch));
    }

    /** The APIs of a node alone on its storage. */
    public Apis(KinesisApi kinesis, DynamoApi dynamo, CloudWatchApi cloudWatch, StsApi sts) {
        this(kinesis, dynamo, cloudWatch, sts, null);
    }
}
