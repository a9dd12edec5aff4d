package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.AccountSettings;

/**
 * DescribeAccountSettings: the minimum throughput billing commitment.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeAccountSettings.html
 *
 * <p>Thread-safe.
 */
final class DescribeAccountSettingsHandler implements OperationHandler {
    private final ApiServices services;

    DescribeAccountSettingsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        write(out, services.accountSettings().commitment());
    }

    static void write(WireWriter out, AccountSettings.Commitment c) {
        out.startObject("MinimumThroughputBillingCommitment").string("Status", c.status());
        if (c.startedAtMs() > 0) {
            out.timestampMs("StartedAt", c.startedAtMs());
        }
        if (c.endedAtMs() > 0) {
            out.timestampMs("EndedAt", c.endedAtMs());
        }
        if (c.earliestAllowedEndAtMs() > 0) {
            out.timestampMs("EarliestAllowedEndAt", c.earliestAllowedEndAtMs());
        }
        out.endObject();
    }
}
