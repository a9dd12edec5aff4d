package dev.millrace.it;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a test class's scenarios on the Kafka backend: a subclass of an embedded suite carrying this annotation,
 * {@code @OnKafka class KafkaFanOutTest extends FanOutTest {}}, gets a one-broker Kafka cluster in the test JVM for the
 * class ({@link KafkaBackend}), and every server it starts with {@link MillraceProcess} keeps its streams there
 * ({@code --storage kafka}). Tests marked {@link EmbeddedOnly} are skipped.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(KafkaBackend.class)
@interface OnKafka {
    /**
     * Only the tests carrying one of these JUnit tags run on Kafka; empty: all of them. For suites whose scenarios
     * another client's Kafka variant already runs in full, where only the data plane is worth a second backend.
     */
    String[] onlyTagged() default {};
}
