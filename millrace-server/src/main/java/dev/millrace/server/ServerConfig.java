package dev.millrace.server;

import dev.millrace.channels.delivery.ChannelsConfig;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.protocol.Account;
import dev.millrace.server.security.SecurityConfig;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.server.state.AutoScalingConfig;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.log.LogConfig;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * How a node runs.
 *
 * <p>Immutable, thread-safe.
 *
 * @param host              address to bind (127.0.0.1 by default: nothing is exposed unless asked)
 * @param port              port to bind; 0 picks a free one
 * @param dataDir           where storage lives
 * @param logConfig         storage engine settings
 * @param account           the account id for ARNs (every region's); its region is the legacy region
 * @param transitionDelayMs how long CREATING, UPDATING and DELETING last
 * @param shardLimit        the account's open-shard limit
 * @param apiThreads        threads running API calls (appends block on fsync)
 * @param maxBodyBytes      largest request body accepted; larger ones get 413
 * @param scaling           UpdateShardCount's limits
 * @param throughput        per-shard throughput limits (AWS's by default)
 * @param autoScaling       how on-demand streams scale themselves
 * @param tls               the optional TLS port
 * @param http              what clients may hold of the HTTP layer: connections, timeouts, HTTP/2 streams, bodies
 * @param security          who may call: --auth none, or SigV4 with identities and their policies
 * @param metricsAddress    where {@code GET /metrics} is served on a listener of its own (host and port, 0 picks a
 *                          free one); null: on the API port
 * @param metricsRetentionHours how long CloudWatch keeps each minute of a metric (Kinesis's own and published ones)
 * @param channels          where channels deliver (an S3 endpoint or local files) and how they batch
 * @param functions         the functions event source mappings invoke ({@code --function NAME=URL})
 */
public record ServerConfig(String host, int port, Path dataDir, LogConfig logConfig, Account account,
                           long transitionDelayMs, int shardLimit, int apiThreads, int maxBodyBytes,
                           ScalingLimits scaling, ThroughputLimits throughput, AutoScalingConfig autoScaling,
                           TlsConfig tls, HttpLimits http, SecurityConfig security,
                           InetSocketAddress metricsAddress, long metricsRetentionHours, ChannelsConfig channels,
                           FunctionRegistry functions) {
    public static final long TRANSITION_DELAY_MS_DEFAULT = 500;
    public static final int SHARD_LIMIT_DEFAULT = 10_000;
    public static final int API_THREADS_DEFAULT = 64;
    /** A 10 MiB PutRecords request in base64 JSON, with room for keys and framing. */
    public static final int MAX_BODY_BYTES_DEFAULT = 16 * 1024 * 1024;
    /** A day: a stream's default retention, so its records and its metrics are there for as long. */
    public static final long METRICS_RETENTION_HOURS_DEFAULT = 24;

    public static ServerConfig defaults(String host, int port, Path dataDir) {
        return new ServerConfig(host, port, dataDir, LogConfig.defaults(dataDir), Account.DEFAULT,
                TRANSITION_DELAY_MS_DEFAULT, SHARD_LIMIT_DEFAULT, API_THREADS_DEFAULT, MAX_BODY_BYTES_DEFAULT,
                ScalingLimits.AWS, ThroughputLimits.AWS, AutoScalingConfig.DEFAULT, TlsConfig.NONE, HttpLimits.DEFAULT,
                SecurityConfig.NONE, null, METRICS_RETENTION_HOURS_DEFAULT, ChannelsConfig.LOCAL,
                FunctionRegistry.NONE);
    }

    /** The account id to use in every region (the region of {@code value} is only the fallback). */
    public ServerConfig withAccount(Account value) {
        return new ServerConfig(host, port, dataDir, logConfig, value, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withTransitionDelayMs(long value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, value, shardLimit, apiThreads, maxBodyBytes,
                scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withLogConfig(LogConfig value) {
        return new ServerConfig(host, port, dataDir, value, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withShardLimit(int value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, value, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withApiThreads(int value) {
        if (value < 1) {
            throw new IllegalArgumentException("API threads must be 1 or more, not " + value);
        }
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, value,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withMaxBodyBytes(int value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                value, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withScaling(ScalingLimits value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, value, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withThroughput(ThroughputLimits value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, value, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withAutoScaling(AutoScalingConfig value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, value, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withHttpLimits(HttpLimits value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, value, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withTls(TlsConfig value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, value, http, security, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withSecurity(SecurityConfig value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, value, metricsAddress,
                metricsRetentionHours, channels, functions);
    }

    public ServerConfig withMetricsAddress(InetSocketAddress value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, value, metricsRetentionHours,
                channels, functions);
    }

    public ServerConfig withMetricsRetentionHours(long value) {
        if (value < 1) {
            throw new IllegalArgumentException("metrics retention must be at least 1 hour, not " + value);
        }
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress, value,
                channels, functions);
    }

    public ServerConfig withChannels(ChannelsConfig value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, value, functions);
    }

    public ServerConfig withFunctions(FunctionRegistry value) {
        return new ServerConfig(host, port, dataDir, logConfig, account, transitionDelayMs, shardLimit, apiThreads,
                maxBodyBytes, scaling, throughput, autoScaling, tls, http, security, metricsAddress,
                metricsRetentionHours, channels, value);
    }
}
