/**
 * FilterCriteria for Kinesis event source mappings: patterns in EventBridge's language, matched with event-ruler
 * (AWS's own matcher). Facts: {@code docs/reference/lambda-esm-facts.md} section 6.
 */
package dev.millrace.lambda.filter;
