package dev.millrace.app;

import dev.millrace.channels.delivery.ChannelsConfig;
import dev.millrace.channels.delivery.DeliveryOptions;
import dev.millrace.channels.s3.S3Settings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.function.Function;

/**
 * The options of {@code millrace server} that say where channels (CreateChannel) deliver (a picocli mixin): an S3
 * endpoint with its addressing, region and credentials, or, without {@code --s3-endpoint}, plain files under
 * {@code DATA_DIR/channels/BUCKET/KEY}. Like every option of the server, each can also come from a
 * {@code MILLRACE_*} variable or the config file ({@link ConfigSources}): the secret is better there than on a
 * command line others can list.
 *
 * <p>Not thread-safe; picocli fills it in once and {@link ServerCommand} reads it once.
 */
final class ChannelOptions {
    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "Where channels write objects: an S3-compatible store (MinIO, Ceph, ...) such as "
                    + "http://127.0.0.1:9000, or 'aws' for AWS S3 itself in --s3-region. A channel's bucket ARN "
                    + "arn:aws:s3:::BUCKET names the bucket there. Without it, objects are files under "
                    + "DATA_DIR/channels/BUCKET/KEY.")
    String s3Endpoint;

    @Option(names = "--s3-path-style", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Address buckets as URL/BUCKET (most self-hosted stores) rather than BUCKET.host "
                    + "(default: ${DEFAULT-VALUE}; AWS S3 takes either).")
    boolean s3PathStyle;

    @Option(names = "--s3-region", defaultValue = "us-east-1", paramLabel = "REGION",
            description = "The region S3 requests are signed for (default: ${DEFAULT-VALUE}).")
    String s3Region;

    @Option(names = "--s3-access-key-id", paramLabel = "KEY",
            description = "The S3 store's access key id, with --s3-secret-access-key. Without them the AWS SDK's "
                    + "default chain (AWS_ACCESS_KEY_ID, a profile, a container or instance role) gives the "
                    + "credentials.")
    String s3AccessKeyId;

    @Option(names = "--s3-secret-access-key", paramLabel = "SECRET",
            description = "The secret of --s3-access-key-id; better given as MILLRACE_S3_SECRET_ACCESS_KEY or in "
                    + "the config file than on the command line.")
    String s3SecretAccessKey;

    @Option(names = "--channel-min-freshness-seconds", paramLabel = "SECONDS",
            defaultValue = "" + ChannelsConfig.AWS_MIN_FRESHNESS_SECONDS,
            description = "The smallest DataFreshnessInSeconds CreateChannel and UpdateChannel accept (default: "
                    + "${DEFAULT-VALUE}, AWS's). Lower it, down to 1, to see records delivered within seconds in "
                    + "development and tests.")
    int minFreshnessSeconds;

    /** Where and how channels deliver; {@code usage} builds the usage error (exit 2) for a bad value. */
    ChannelsConfig config(Function<String, CommandLine.ParameterException> usage) {
        if (minFreshnessSeconds < 1 || minFreshnessSeconds > ChannelsConfig.AWS_MIN_FRESHNESS_SECONDS) {
            throw usage.apply("--channel-min-freshness-seconds must be 1 to "
                    + ChannelsConfig.AWS_MIN_FRESHNESS_SECONDS + ", not " + minFreshnessSeconds);
        }
        if ((s3AccessKeyId == null) != (s3SecretAccessKey == null)) {
            throw usage.apply("--s3-access-key-id and --s3-secret-access-key go together: give both or neither");
        }
        if (s3Endpoint == null) {
            if (s3AccessKeyId != null) {
                throw usage.apply("--s3-access-key-id is for --s3-endpoint, which is not given");
            }
            return new ChannelsConfig(null, DeliveryOptions.defaults(), minFreshnessSeconds);
        }
        URI endpoint = "aws".equals(s3Endpoint) ? null : endpoint(usage);
        return new ChannelsConfig(new S3Settings(endpoint, s3PathStyle, s3Region, s3AccessKeyId, s3SecretAccessKey),
                DeliveryOptions.defaults(), minFreshnessSeconds);
    }

    private URI endpoint(Function<String, CommandLine.ParameterException> usage) {
        try {
            URI uri = new URI(s3Endpoint);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw usage.apply("--s3-endpoint must be an http:// or https:// URL, or 'aws', not " + s3Endpoint);
            }
            return uri;
        } catch (URISyntaxException e) {
            throw usage.apply("--s3-endpoint must be an http:// or https:// URL, or 'aws', not " + s3Endpoint
                    + " (" + e.getReason() + ")");
        }
    }
}
