package dev.millrace.server.api;

import dev.millrace.protocol.ApiModel;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every operation of the API model is classified for a cluster: the ones that change metadata run on the writer,
 * the rest where they arrive. A new operation added to the model and the table without a decision fails here.
 */
class OperationRouterClusterTest {
    /** AWS's verbs for changes; PutRecord(s) write records, not metadata. */
    private static final Pattern CHANGES = Pattern.compile("(Create|Delete|Update|Add|Remove|Tag|Untag|Start|Stop"
            + "|Enable|Disable|Increase|Decrease|Register|Deregister|Split|Merge).*|PutResourcePolicy");

    @Test
    void exactlyTheOperationsThatChangeMetadataRunOnTheWriter() {
        for (String operation : ApiModel.kinesis().operations().keySet()) {
            assertThat(OperationRouter.changesMetadata(operation)).as(operation)
                    .isEqualTo(CHANGES.matcher(operation).matches());
        }
        assertThat(OperationRouter.changesMetadata("PutRecords")).isFalse();
        assertThat(OperationRouter.changesMetadata("GetRecords")).isFalse();
        assertThat(OperationRouter.changesMetadata(null)).isFalse();
    }
}
