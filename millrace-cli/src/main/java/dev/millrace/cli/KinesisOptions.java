package dev.millrace.cli;

import picocli.CommandLine.Option;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;

import java.net.URI;
import java.util.Map;

/**
 * Where the client commands send their requests, with the AWS CLI's option names and the AWS SDKs' rules:
 * <ul>
 *   <li>endpoint: {@code --endpoint-url}, else {@code AWS_ENDPOINT_URL_KINESIS}, else {@code AWS_ENDPOINT_URL}
 *   (unless {@code AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true}), else what the SDK finds itself (a profile's
 *   {@code endpoint_url}), else Amazon Kinesis in the region. The default is AWS, as for the AWS CLI and every SDK,
 *   so that one setting points every tool of a user's at the same place: a {@code millrace tail} reading another
 *   stream than the application it is debugging would be worse than a refused connection;</li>
 *   <li>region: {@code --region}, else {@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}, else the profile's; with
 *   an endpoint given and no region anywhere, us-east-1 (a local Millrace needs one to sign with, the AWS CLI's
 *   default region for most tutorials); with neither, a usage error;</li>
 *   <li>credentials: the SDK's default chain for {@code --profile} (or {@code AWS_PROFILE}); see
 *   {@link KinesisConnection}.</li>
 * </ul>
 *
 * <p>A picocli mixin; not thread-safe (filled once by the parser).
 */
public final class KinesisOptions {
    static final Region DEFAULT_LOCAL_REGION = Region.US_EAST_1;

    @Option(names = "--endpoint-url", paramLabel = "URL",
            description = "Kinesis endpoint, e.g. http://127.0.0.1:4567 for a local Millrace. Default: "
                    + "AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, the profile's endpoint_url, else Amazon Kinesis.")
    URI endpointUrl;

    @Option(names = "--region", paramLabel = "REGION",
            description = "Region to sign for. Default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region; "
                    + "us-east-1 when an endpoint is given and none is set.")
    String region;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Profile of ~/.aws/config and ~/.aws/credentials to use (default: AWS_PROFILE or default).")
    String profile;

    /** What the options and the environment say, resolved. {@code endpoint} is null for "the SDK decides". */
    record Resolved(URI endpoint, Region region, String profile) {
    }

    /** Resolves against {@code env} (the process environment, injected for tests). */
    Resolved resolve(Map<String, String> env) {
        URI endpoint = endpointUrl;
        if (endpoint == null && !"true".equalsIgnoreCase(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
            endpoint = uri(firstSet(env.get("AWS_ENDPOINT_URL_KINESIS"), env.get("AWS_ENDPOINT_URL")));
        }
        if (endpoint != null && (endpoint.getScheme() == null || endpoint.getHost() == null)) {
            throw new UsageException("the endpoint " + endpoint + " is not a URL such as http://127.0.0.1:4567");
        }
        String profileName = firstSet(profile, env.get("AWS_PROFILE"));
        String regionName = firstSet(region, env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        if (regionName == null) {
            regionName = profileRegion(profileName == null ? "default" : profileName);
        }
        Region resolvedRegion;
        if (regionName != null) {
            resolvedRegion = Region.of(regionName);
        } else if (endpoint != null) {
            resolvedRegion = DEFAULT_LOCAL_REGION;
        } else {
            throw new UsageException("no region: give --region (or set AWS_REGION), or --endpoint-url for a "
                    + "Kinesis other than Amazon's (a local Millrace: --endpoint-url http://127.0.0.1:4567)");
        }
        return new Resolved(endpoint, resolvedRegion, profileName);
    }

    /** The profile's region from ~/.aws/config; not the SDK's whole chain, whose EC2 metadata probe costs seconds. */
    private static String profileRegion(String profileName) {
        try {
            return new AwsProfileRegionProvider(ProfileFile::defaultProfileFile, profileName).getRegion().id();
        } catch (SdkClientException e) {
            return null;
        }
    }

    private static URI uri(String value) {
        if (value == null) {
            return null;
        }
        try {
            return URI.create(value.trim());
        } catch (IllegalArgumentException e) {
            throw new UsageException("the endpoint " + value + " is not a URL: " + e.getMessage());
        }
    }

    private static String firstSet(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }
}
