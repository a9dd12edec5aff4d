package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;

/**
 * DescribeStreamConsumer: by ConsumerARN, or by StreamARN and ConsumerName.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamConsumer.html
 *
 * <p>Thread-safe.
 */
final class DescribeStreamConsumerHandler implements OperationHandler {
    private final ApiServices services;

    DescribeStreamConsumerHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        ConsumerRecord c = ConsumerRefs.find(services, request);
        out.startObject("ConsumerDescription");
        ConsumerOutput.write(out, services, c, true);
        out.endObject();
    }
}
