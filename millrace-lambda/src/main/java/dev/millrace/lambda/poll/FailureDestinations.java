package dev.millrace.lambda.poll;

import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.Destination.ObjectTarget;
import dev.millrace.lambda.failure.InvocationRecord;
import dev.millrace.lambda.failure.InvocationRecords;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Sends the invocation record of a discarded batch to a mapping's OnFailure destination (facts §5):
 * <ul>
 *   <li>{@code arn:aws:s3:::BUCKET}: an object under AWS's key layout holding the record and the event as sent
 *       ({@code payload}), through the server's channel destination (its {@code --s3-endpoint}, or files under
 *       {@code DATA_DIR/channels/BUCKET} without one);</li>
 *   <li>a Kinesis stream ARN of the account (a Millrace extension; AWS takes SQS, SNS or S3): a record holding the
 *       invocation record as SQS and SNS get it, without payload.</li>
 * </ul>
 *
 * <p>Thread-safe if the destinations given are.
 */
public final class FailureDestinations {

    /** Appends one record to a stream of the server's (the Kinesis-stream destination). */
    @FunctionalInterface
    public interface StreamWriter {
        /** @throws RuntimeException if the record was not stored (the batch's discard is then tried again) */
        void put(String streamArn, String partitionKey, byte[] data);
    }

    private static final String S3_PREFIX = "arn:aws:s3:::";

    private final Destination objects;
    private final StreamWriter streams;
    private final Path stagingDir;
    private final InvocationRecords records;

    /**
     * @param objects    where S3 destinations' objects go (null: the server has none, S3 destinations fail)
     * @param stagingDir where an object is written before it is put (the destination takes a file)
     */
    public FailureDestinations(Destination objects, StreamWriter streams, Path stagingDir, InvocationRecords records) {
        this.objects = objects;
        this.streams = streams;
        this.stagingDir = stagingDir;
        this.records = records;
    }

    InvocationRecords records() {
        return records;
    }

    /**
     * Sends {@code record} of mapping {@code mappingUuid} to {@code destinationArn}; {@code event} is the event the
     * records were (or would have been) sent in.
     *
     * @throws RuntimeException if it could not be stored
     */
    void send(String mappingUuid, String destinationArn, InvocationRecord record, byte[] event) {
        if (destinationArn.startsWith(S3_PREFIX)) {
            if (objects == null) {
                throw new IllegalStateException("no S3 destination is configured for " + destinationArn);
            }
            String bucket = destinationArn.substring(S3_PREFIX.length());
            putObject(bucket, records.s3Key(mappingUuid, record), InvocationRecords.s3ObjectJson(record, event));
        } else {
            streams.put(destinationArn, InvocationRecords.streamPartitionKey(mappingUuid, record),
                    InvocationRecords.messageJson(record));
        }
    }

    private void putObject(String bucket, String key, byte[] body) {
        Path file = null;
        try {
            Files.createDirectories(stagingDir);
            file = Files.createTempFile(stagingDir, "on-failure-", ".json");
            Files.write(file, body);
            objects.put(new ObjectTarget(bucket, key, null, null), file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot stage the invocation record for " + bucket + "/" + key, e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // A left-over staging file costs disk, not correctness; the next start clears the directory.
                }
            }
        }
    }
}
