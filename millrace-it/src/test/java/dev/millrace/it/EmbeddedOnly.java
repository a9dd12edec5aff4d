package dev.millrace.it;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test of something only the embedded engine has (its fsync policy, its files): it runs in the embedded suite and
 * is skipped, with {@link #value} as the reason, in the suite's {@link OnKafka} variant.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@interface EmbeddedOnly {
    /** Why it cannot run on Kafka. */
    String value();
}
