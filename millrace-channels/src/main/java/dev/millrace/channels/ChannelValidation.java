package dev.millrace.channels;

import dev.millrace.channels.delivery.KeyTemplate;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;

import java.util.List;
import java.util.Set;

/**
 * CreateChannel's and UpdateChannel's rules beyond the API model's own constraints (which the server's validator has
 * already checked, with ValidationException): the documented rules of AWS's developer guide, each refused with the
 * error type the facts suggest and a message that says what to change. AWS documents none of these messages; where it
 * names no error type either, InvalidArgumentException is used for a request that can never succeed as written,
 * ResourceInUseException for one that conflicts with the current state, LimitExceededException for counts.
 *
 * <p>Stateless, thread-safe.
 */
final class ChannelValidation {
    public static final int MIN_FRESHNESS_SECONDS = 300;
    static final int MAX_FRESHNESS_SECONDS = 900;
    static final int DEFAULT_FRESHNESS_SECONDS = 300;
    static final String DEFAULT_STORAGE_CLASS = "STANDARD";
    /** AWS's default object key template. */
    static final String DEFAULT_KEY_TEMPLATE = KeyTemplate.DEFAULT;
    private static final Set<String> S3_FORMATS = Set.of("BYTE_ARRAY", "STRING", "JSON");
    private static final Set<String> TABLE_FORMATS = Set.of("JSON", "GSR_JSON");

    private ChannelValidation() {
    }

    /** Checks what can be checked from the request alone. */
    static void checkRequest(ChannelRequest r, Account account) {
        if ((r.s3() == null) == (r.tables() == null)) {
            throw KinesisException.invalidArgument("Exactly one of S3DestinationConfiguration and "
                    + "S3TablesDestinationConfiguration must be specified.");
        }
        if (r.streams().size() != 1) {
            throw KinesisException.invalidArgument("A channel reads exactly one stream; StreamConfigurationList has "
                    + r.streams().size() + " entries.");
        }
        ChannelRequest.StreamConfig stream = r.streams().get(0);
        checkSameAccount(stream.streamArn(), "kinesis", "StreamARN", account);
        if (r.s3() != null) {
            checkS3(r, stream);
        } else {
            checkTables(r, stream, account);
        }
        Channel.DeadLetterQueue deadLetters = r.s3() != null ? r.s3().deadLetters() : r.tables().deadLetters();
        if (deadLetters != null && deadLetters.errorOutputPrefix() != null) {
            checkErrorOutputPrefix(deadLetters.errorOutputPrefix());
        }
        if (r.encryption() != null && r.encryption().awsManaged()) {
            throw KinesisException.invalidArgument("EncryptionConfiguration.KeyId must be a customer managed KMS key; "
                    + "the AWS managed key aws/kinesis cannot encrypt channel deliveries.");
        }
    }

    private static void checkS3(ChannelRequest r, ChannelRequest.StreamConfig stream) {
        if (!S3_FORMATS.contains(stream.recordFormat())) {
            throw KinesisException.invalidArgument("RecordFormatType " + stream.recordFormat() + " is not supported "
                    + "for an S3 destination; use one of BYTE_ARRAY, STRING, JSON.");
        }
        if (stream.schemaArn() != null) {
            throw KinesisException.invalidArgument("GSRSchemaARN applies only to S3 Tables destinations; an S3 "
                    + "destination writes records as they are, without a schema.");
        }
        String template = r.s3().storage().outputKeyTemplate();
        if (template != null) {
            KeyTemplate.problem(template, r.s3().storage().compression()).ifPresent(problem -> {
                throw KinesisException.invalidArgument("Invalid OutputKeyTemplate: " + problem);
            });
        }
    }

    private static void checkTables(ChannelRequest r, ChannelRequest.StreamConfig stream, Account account) {
        if (!TABLE_FORMATS.contains(stream.recordFormat())) {
            throw KinesisException.invalidArgument("RecordFormatType " + stream.recordFormat() + " is not supported "
                    + "for an S3 Tables destination; use JSON or GSR_JSON.");
        }
        if (stream.schemaArn() == null) {
            throw KinesisException.invalidArgument("GSRSchemaARN is required for an S3 Tables destination: the table's "
                    + "columns come from the schema.");
        }
        checkSameAccount(stream.schemaArn(), "glue", "GSRSchemaARN", account);
        List<Channel.Table> tables = r.tables().tables();
        if (tables.size() != 1) {
            throw KinesisException.invalidArgument("A channel delivers to exactly one table; "
                    + "S3TablesConfigurationList has " + tables.size() + " entries.");
        }
        Channel.Table table = tables.get(0);
        checkSameAccount(table.tableBucketArn(), "s3tables", "TableBucketARN", account);
        if (table.partitionFields() != null && table.partitionFields().size() != 1) {
            throw KinesisException.invalidArgument("PartitionSpec must have exactly one field (TIME_HOUR on a "
                    + "timestamp column); it has " + table.partitionFields().size() + ".");
        }
    }

    /**
     * ErrorOutputPrefix's length and characters are the model's (ValidationException before this runs); these are
     * OutputKeyTemplate's path rules ({@link KeyTemplate#pathProblem}), for the same reason: dead-letter keys start
     * with the prefix.
     */
    private static void checkErrorOutputPrefix(String prefix) {
        KeyTemplate.pathProblem(prefix).ifPresent(problem -> {
            throw KinesisException.invalidArgument("Invalid ErrorOutputPrefix: " + problem + "; got '" + prefix
                    + "'.");
        });
    }

    /**
     * Checks CreateChannel's DataFreshnessInSeconds: AWS's 300..900, or from {@code minSeconds} when the server was
     * told to allow less ({@code --channel-min-freshness-seconds}, for development and tests).
     */
    static void checkCreateFreshness(ChannelRequest r, int minSeconds) {
        if (r.s3() != null) {
            checkFreshness(r.s3().freshnessSeconds(), "S3DestinationConfiguration", minSeconds);
        }
        if (r.tables() != null) {
            checkFreshness(r.tables().freshnessSeconds(), "S3TablesDestinationConfiguration", minSeconds);
        }
    }

    private static void checkFreshness(Integer seconds, String block, int minSeconds) {
        if (seconds != null && (seconds < minSeconds || seconds > MAX_FRESHNESS_SECONDS)) {
            throw KinesisException.invalidArgument(block + ".DataFreshnessInSeconds must be between "
                    + minSeconds + " and " + MAX_FRESHNESS_SECONDS + " seconds; got " + seconds + ".");
        }
    }

    /** Checks UpdateChannel's freshness. */
    static void checkUpdateFreshness(int seconds, String block, int minSeconds) {
        checkFreshness(seconds, block, minSeconds);
    }

    /** {@code arn:<partition>:<service>:<region>:<account>:...} must be the channel's partition, region, account. */
    private static void checkSameAccount(String arn, String service, String member, Account account) {
        String[] parts = arn.split(":", 6);
        if (parts.length < 6 || !parts[1].equals(account.partition()) || !parts[2].equals(service)
                || !parts[3].equals(account.region()) || !parts[4].equals(account.id())) {
            throw KinesisException.invalidArgument(member + " " + arn + " must be in the channel's account "
                    + account.id() + " and region " + account.region() + ".");
        }
    }

    /** The AWS managed key of Kinesis, by alias or alias ARN. */
    static boolean isAwsManagedKey(String keyId) {
        return keyId != null && (keyId.equals("alias/aws/kinesis") || keyId.endsWith(":alias/aws/kinesis"));
    }

    /** Checks the stream CreateChannel names: it must be on-demand, usable, and not under aws/kinesis. */
    static void checkStream(StreamAccess.StreamInfo s, Account account) {
        if (s.status().equals("CREATING") || s.status().equals("DELETING")) {
            throw KinesisException.resourceInUse("Stream " + s.name() + " under account " + account.id() + " is "
                    + s.status() + "; a channel can be created once it is ACTIVE.");
        }
        if (!s.onDemand()) {
            throw KinesisException.invalidArgument("Stream " + s.name() + " under account " + account.id()
                    + " is PROVISIONED; channels deliver on-demand streams only. Switch it with UpdateStreamMode.");
        }
        if (isAwsManagedKey(s.encryptionKey())) {
            throw KinesisException.invalidArgument("Stream " + s.name() + " under account " + account.id()
                    + " is encrypted with the AWS managed key aws/kinesis, which channels cannot read; encrypt it "
                    + "with a customer managed key.");
        }
    }
}
