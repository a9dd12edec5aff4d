package dev.millrace.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

/**
 * {@code millrace put STREAM}: one record per line of stdin, with PutRecords ({@link PutRun}).
 * AWS reference: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 *
 * <p>The default partition key is a random one per line (a UUID), which spreads the lines over the shards as
 * Kinesis intends; {@code --partition-key KEY} sends every line to one shard, in order. The stream is described
 * first: a missing stream ends the run before stdin is read, and its maximum record size
 * ({@code MaxRecordSizeInKiB}, 1 MiB where the endpoint does not say) decides which lines are too long.
 *
 * <p>Not thread-safe: picocli fills and calls it once.
 */
@Command(name = "put", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Puts one record per line of stdin into a stream of any Kinesis endpoint, in batches "
                + "(PutRecords, at most 500 records and 5 MiB each), retrying failed records with backoff and "
                + "keeping each partition key's records in order. The line break is not part of the record.",
            "Example: seq 1 1000 | millrace put orders --endpoint-url http://127.0.0.1:4567"},
        exitCodeListHeading = ClientCommand.EXIT_CODES_HEADING,
        exitCodeList = {ClientCommand.EXIT_0, ClientCommand.EXIT_1, ClientCommand.EXIT_2, ClientCommand.EXIT_3,
            ClientCommand.EXIT_4, ClientCommand.EXIT_5, ClientCommand.EXIT_130,
            ClientCommand.EXIT_143})
public final class PutCommand extends ClientCommand {
    static final int DEFAULT_MAX_RECORD_KIB = 1024;

    @Parameters(index = "0", paramLabel = "STREAM", description = "The stream's name.")
    String stream;

    @Option(names = {"-k", "--partition-key"}, paramLabel = "KEY",
            description = "Partition key of every record (default: a random key per line).")
    String partitionKey;

    @Option(names = "--max-attempts", paramLabel = "N", defaultValue = "10",
            description = "Attempts per record before it counts as not put (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(names = "--progress", negatable = true,
            description = "Show progress on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Override
    int execute(KinesisConnection kinesis) throws Exception {
        if (partitionKey != null && (partitionKey.isEmpty() || partitionKey.length() > 256)) {
            throw new UsageException("--partition-key must have 1 to 256 characters");
        }
        if (maxAttempts < 1) {
            throw new UsageException("--max-attempts must be 1 or more");
        }
        StreamDescriptionSummary summary = kinesis.sync().describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary();
        Integer maxKib = summary.maxRecordSizeInKiB();
        int maxRecordBytes = (maxKib == null ? DEFAULT_MAX_RECORD_KIB : maxKib) * 1024;
        PutRun run = new PutRun(kinesis.sync(), new PutRun.Settings(stream, partitionKey, maxRecordBytes,
                maxAttempts), err, new Progress(err, progressWanted(progress), clock), clock);
        PutRun.Result result = run.run(in, stopSignal());
        if (result.interrupted()) {
            err.println(name() + ": " + (stoppedCode() == ExitCode.TERMINATED ? "terminated" : "interrupted")
                    + " after " + result.put() + " record(s) put");
            return stoppedCode();
        }
        if (result.notPut() > 0) {
            err.println(name() + ": " + result.notPut() + " record(s) not put, " + result.put() + " put");
            return ExitCode.RECORDS_NOT_PUT;
        }
        return ExitCode.OK;
    }
}
