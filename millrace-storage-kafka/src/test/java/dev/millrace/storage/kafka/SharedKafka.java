package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One single-broker cluster for every test class of this JVM that asks for one: a class extended with it gets the
 * cluster as a {@link KafkaTestCluster} parameter (of its {@code @BeforeAll} method, say). The broker starts at the
 * first request and stops when JUnit ends the run (it lives in the root context's store, which closes it), instead of
 * a start and a stop per class. Classes that change the broker (stop it, configure it otherwise) keep their own.
 *
 * <p>Classes sharing it must not see each other: each test works under topic prefixes of its own
 * ({@link KafkaTestTopics#nextPrefix}, or a class-specific name) and looks at nothing else in the cluster.
 *
 * <p>Thread-safe: the store starts the broker at most once.
 */
final class SharedKafka implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedKafka.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaTestCluster.class;
    }

    @Override
    public KafkaTestCluster resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(KafkaTestCluster.class, k -> KafkaTestCluster.start(1), KafkaTestCluster.class);
    }
}
