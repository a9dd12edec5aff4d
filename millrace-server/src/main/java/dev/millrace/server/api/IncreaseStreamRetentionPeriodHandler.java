package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * IncreaseStreamRetentionPeriod, up to 8760 hours.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_IncreaseStreamRetentionPeriod.html
 *
 * <p>Thread-safe.
 */
final class IncreaseStreamRetentionPeriodHandler implements OperationHandler {
    static final int MIN_HOURS = 24;
    static final int MAX_HOURS = 8760;

    private final ApiServices services;

    IncreaseStreamRetentionPeriodHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        int hours = request.integer("RetentionPeriodHours");
        checkBounds(hours);
        services.streams().update(name, false, s -> {
            if (hours < s.retentionHours()) {
                throw KinesisException.invalidArgument("Requested retention period (" + hours + " hours) for stream "
                        + name + " can not be shorter than existing retention period (" + s.retentionHours()
                        + " hours). Use DecreaseRetentionPeriod API.");
            }
            return s.withRetentionHours(hours);
        });
    }

    static void checkBounds(int hours) {
        if (hours < MIN_HOURS) {
            throw KinesisException.invalidArgument("Minimum allowed retention period is " + MIN_HOURS
                    + " hours. Requested retention period (" + hours + " hours) is too short.");
        }
        if (hours > MAX_HOURS) {
            throw KinesisException.invalidArgument("Maximum allowed retention period is " + MAX_HOURS
                    + " hours. Requested retention period (" + hours + " hours) is too long.");
        }
    }
}
