package dev.millrace.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.StreamSummary;

import java.util.List;

/**
 * {@code millrace streams}: the streams of the account in the region, one a line (ListStreams, every page).
 * Text: name, status, capacity mode and creation time, separated by tabs; json: one object a line.
 * AWS reference: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListStreams.html
 *
 * <p>Not thread-safe: picocli fills and calls it once.
 */
@Command(name = "streams", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Lists the streams of any Kinesis endpoint (Millrace or AWS), one a line: name, status, "
                + "capacity mode and creation time, separated by tabs (or JSON objects with --format json)."},
        exitCodeListHeading = ClientCommand.EXIT_CODES_HEADING,
        exitCodeList = {ClientCommand.EXIT_0, ClientCommand.EXIT_1, ClientCommand.EXIT_2, ClientCommand.EXIT_4,
            ClientCommand.EXIT_130,
            ClientCommand.EXIT_143})
public final class StreamsCommand extends ClientCommand {
    @Option(names = "--format", paramLabel = "text|json", converter = FormatConverters.Output.class,
            description = "text (default) or json.")
    OutputFormat format = OutputFormat.TEXT;

    @Override
    int execute(KinesisConnection kinesis) {
        String token = null;
        String lastName = null;
        boolean more;
        do {
            String from = token;
            String after = token == null ? lastName : null;
            ListStreamsResponse page = kinesis.sync().listStreams(b -> b.nextToken(from)
                    .exclusiveStartStreamName(after));
            if (page.hasStreamSummaries() && !page.streamSummaries().isEmpty()) {
                page.streamSummaries().forEach(this::print);
            } else {
                // A server older than the StreamSummaries field (2022-12) gives names only.
                page.streamNames().forEach(name -> print(StreamSummary.builder().streamName(name).build()));
            }
            List<String> names = page.streamNames();
            String previousLast = lastName;
            lastName = names.isEmpty() ? lastName : names.get(names.size() - 1);
            token = page.nextToken();
            // Older servers page with ExclusiveStartStreamName and no NextToken; stop if that does not move on.
            more = Boolean.TRUE.equals(page.hasMoreStreams())
                    && (token != null || lastName != null && !lastName.equals(previousLast));
        } while (more);
        return ExitCode.OK;
    }

    private void print(StreamSummary s) {
        String mode = s.streamModeDetails() == null ? null : s.streamModeDetails().streamModeAsString();
        String created = s.streamCreationTimestamp() == null ? null
                : RecordFormat.TIMESTAMP.format(s.streamCreationTimestamp());
        if (format == OutputFormat.JSON) {
            out.println(OutputFormat.json(g -> {
                g.writeStartObject();
                g.writeStringField("streamName", s.streamName());
                g.writeStringField("streamArn", s.streamARN());
                g.writeStringField("streamStatus", s.streamStatusAsString());
                g.writeStringField("streamMode", mode);
                g.writeStringField("streamCreationTimestamp", created);
                g.writeEndObject();
            }));
        } else {
            out.println(String.join("\t", s.streamName(), orDash(s.streamStatusAsString()), orDash(mode),
                    orDash(created)));
        }
    }

    static String orDash(String value) {
        return value == null ? "-" : value;
    }
}
