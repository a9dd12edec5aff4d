package dev.millrace.lambda.mapping;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's log of what happens to event source mappings: one INFO line per committed change (created,
 * updating, enabling, disabling, enabled, disabled, deleting, deleted), naming the mapping, its source and function,
 * with the same as key-value pairs ({@code event}, {@code uuid}, {@code source}, {@code function}) for
 * {@code --log-format json}, as channels' lines do. Logged where the change is committed, so once per cluster.
 *
 * <p>Stateless; thread-safe.
 */
final class MappingLog {
    private static final Logger log = LoggerFactory.getLogger(MappingLog.class);

    private MappingLog() {
    }

    static void changed(EventSourceMapping m, String event) {
        log.atInfo().addKeyValue("event", "event-source-mapping-" + event).addKeyValue("uuid", m.uuid())
                .addKeyValue("source", m.eventSourceArn()).addKeyValue("function", m.functionArn())
                .log("Event source mapping {} ({} to {}) {}", m.uuid(), m.eventSourceArn(), m.functionArn(), event);
    }
}
