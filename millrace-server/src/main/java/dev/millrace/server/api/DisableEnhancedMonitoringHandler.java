package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DisableEnhancedMonitoring: removes shard-level metrics.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DisableEnhancedMonitoring.html
 *
 * <p>Thread-safe.
 */
final class DisableEnhancedMonitoringHandler implements OperationHandler {
    private final ApiServices services;

    DisableEnhancedMonitoringHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        EnhancedMonitoring.change(services, request, out, java.util.Set::removeAll);
    }
}
