package dev.millrace.cloudwatch;

import java.util.Map;

/**
 * One CloudWatch operation: a decoded request tree in, an output tree (maps, lists, strings, numbers) out, whatever
 * the protocol. Implementations are thread-safe.
 */
interface CloudWatchOperation {
    Map<String, Object> handle(Map<String, Object> input);
}
