package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * UpdateAccountSettings: enables or disables the minimum throughput billing commitment.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateAccountSettings.html
 *
 * <p>Thread-safe.
 */
final class UpdateAccountSettingsHandler implements OperationHandler {
    private final ApiServices services;

    UpdateAccountSettingsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        boolean enable = "ENABLED".equals(request.struct("MinimumThroughputBillingCommitment").string("Status"));
        DescribeAccountSettingsHandler.write(out, services.accountSettings().update(enable));
    }
}
