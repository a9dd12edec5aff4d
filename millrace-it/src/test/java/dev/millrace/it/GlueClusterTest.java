package dev.millrace.it;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.glue.model.AlreadyExistsException;
import software.amazon.awssdk.services.glue.model.DataFormat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Glue Schema Registry subset on two Millrace nodes sharing one Kafka cluster: schemas created and versioned
 * through the follower are run on the metadata writer (the follower forwards them) and read alike through both
 * nodes, at once on the node that made the change; a name taken through one node is taken through the other.
 *
 * <p>One Kafka broker (in this JVM) and one cluster of nodes for the class.
 */
class GlueClusterTest {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}";
    private static KafkaTestCluster kafka;
    private static MillraceNodes nodes;
    private static final List<GlueClient> glue = new ArrayList<>();
    @TempDir
    static Path dir;

    @BeforeAll
    static void startCluster() {
        kafka = KafkaTestCluster.start(1);
        nodes = MillraceNodes.start(2, dir, kafka.bootstrapServers(), "it-glue.", 0);
        for (int i = 0; i < nodes.size(); i++) {
            glue.add(Clients.glue(nodes.node(i).endpoint()));
        }
    }

    @AfterAll
    static void stop() {
        glue.forEach(GlueClient::close);
        if (nodes != null) {
            nodes.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyNodeServesTheSameRegistry() {
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.writers().size() == 1);
        int writer = nodes.writers().get(0);
        GlueClient follower = glue.get(1 - writer);
        GlueClient onWriter = glue.get(writer);

        follower.createRegistry(b -> b.registryName("shared"));
        String id = follower.createSchema(b -> b.registryId(r -> r.registryName("shared")).schemaName("event")
                .dataFormat(DataFormat.JSON).schemaDefinition(SCHEMA)).schemaVersionId();
        long v2 = follower.registerSchemaVersion(b -> b.schemaId(s -> s.schemaName("event").registryName("shared"))
                .schemaDefinition(SCHEMA.replace("string", "integer"))).versionNumber();
        assertThat(v2).isEqualTo(2L);
        // The node that forwarded the change answers with it at once; the writer has it, it made it.
        for (GlueClient node : List.of(follower, onWriter)) {
            assertThat(node.getSchema(b -> b.schemaId(s -> s.schemaName("event").registryName("shared")))
                    .latestSchemaVersion()).isEqualTo(2L);
            assertThat(node.getSchemaVersion(b -> b.schemaVersionId(id)).schemaDefinition()).isEqualTo(SCHEMA);
        }
        assertThatThrownBy(() -> onWriter.createRegistry(b -> b.registryName("shared")))
                .isInstanceOf(AlreadyExistsException.class);
        onWriter.createSchema(b -> b.schemaName("from-writer").dataFormat(DataFormat.JSON).schemaDefinition(SCHEMA));
        assertThatThrownBy(() -> follower.createSchema(b -> b.schemaName("from-writer").dataFormat(DataFormat.JSON)
                .schemaDefinition(SCHEMA))).isInstanceOf(AlreadyExistsException.class);
        assertThat(follower.listSchemas(b -> { }).schemas()).hasSize(2);
    }
}
