package org.joda.time;

/**
 * A stand-in for Joda-Time's DateTime, test scope only. aws-lambda-java-serialization's {@code LambdaEventSerializers}
 * loads {@code org.joda.time.DateTime} by name for every event type (its DateTimeModule) and fails without it; the
 * Kinesis events never use it. Joda-Time normally comes with aws-lambda-java-events, whose pom is missing from the
 * offline repository, so its dependencies are not seen. Delete this once the module's pom has joda-time in test scope.
 *
 * <p>No state; thread-safe.
 */
public final class DateTime {
    private DateTime() {
    }
}
