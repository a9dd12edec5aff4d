package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DecreaseStreamRetentionPeriod, down to 24 hours; older records stop being readable at once.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DecreaseStreamRetentionPeriod.html
 *
 * <p>Thread-safe.
 */
final class DecreaseStreamRetentionPeriodHandler implements OperationHandler {
    private final ApiServices services;

    DecreaseStreamRetentionPeriodHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        int hours = request.integer("RetentionPeriodHours");
        IncreaseStreamRetentionPeriodHandler.checkBounds(hours);
        services.streams().update(name, false, s -> {
            if (hours > s.retentionHours()) {
                throw KinesisException.invalidArgument("Requested retention period (" + hours + " hours) for stream "
                        + name + " can not be longer than existing retention period (" + s.retentionHours()
                        + " hours). Use IncreaseRetentionPeriod API.");
            }
            return s.withRetentionHours(hours);
        });
    }
}
