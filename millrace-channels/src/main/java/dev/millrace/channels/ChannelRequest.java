package dev.millrace.channels;

import java.util.List;
import java.util.Map;

/**
 * CreateChannel's input as the client sent it, before validation and defaults ({@link ChannelRegistry#create}).
 * Members the client left out are {@code null}.
 *
 * <p>Immutable, thread-safe.
 *
 * @param streams StreamConfigurationList (AWS reads one stream per channel)
 * @param s3      S3DestinationConfiguration, or {@code null}
 * @param tables  S3TablesDestinationConfiguration, or {@code null}
 */
public record ChannelRequest(String name, String roleArn, List<StreamConfig> streams, S3Request s3,
                             TablesRequest tables, Channel.Encryption encryption, Channel.Logging logging,
                             Map<String, String> tags) {
    public ChannelRequest {
        streams = List.copyOf(streams);
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    public record StreamConfig(String streamArn, String recordFormat, String schemaArn) {
    }

    /**
     * @param deadLetters {@code null} for the default (the destination bucket); its prefix may be {@code null}
     * @param storage     storage class and key template may be {@code null} for the defaults
     */
    public record S3Request(Integer freshnessSeconds, Channel.DeadLetterQueue deadLetters,
                            Channel.S3Storage storage) {
    }

    public record TablesRequest(Integer freshnessSeconds, Channel.DeadLetterQueue deadLetters,
                                List<Channel.Table> tables) {
        public TablesRequest {
            tables = List.copyOf(tables);
        }
    }
}
