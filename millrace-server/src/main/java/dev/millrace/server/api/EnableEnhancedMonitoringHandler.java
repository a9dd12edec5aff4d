package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * EnableEnhancedMonitoring: adds shard-level metrics.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_EnableEnhancedMonitoring.html
 *
 * <p>Thread-safe.
 */
final class EnableEnhancedMonitoringHandler implements OperationHandler {
    private final ApiServices services;

    EnableEnhancedMonitoringHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        EnhancedMonitoring.change(services, request, out, java.util.Set::addAll);
    }
}
