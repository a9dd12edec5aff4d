package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The DynamoDB subset KCL keeps its leases in, driven by the real AWS SDK for Java v2 DynamoDB client on the same
 * endpoint as Kinesis: a lease table with its owner index, conditional writes in both the legacy and the expression
 * forms, a transaction, and everything still there after a restart.
 */
class DynamoDbSubsetTest {
    @TempDir
    static Path dir;
    private static MillraceProcess server;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (server != null && server.isAlive()) {
            assertThat(server.stop()).isZero();
        }
    }

    private static DynamoDbClient client(MillraceProcess s) {
        return DynamoDbClient.builder().endpointOverride(s.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKID", "secret")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    @Test
    void leaseTableLifecycleThroughTheSdk() {
        try (DynamoDbClient ddb = client(server)) {
            ddb.createTable(b -> b.tableName("app-leases").billingMode(BillingMode.PAY_PER_REQUEST)
                    .keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S),
                            a -> a.attributeName("leaseOwner").attributeType(ScalarAttributeType.S))
                    .globalSecondaryIndexes(g -> g.indexName("LeaseOwnerToLeaseKeyIndex")
                            .keySchema(k -> k.attributeName("leaseOwner").keyType(KeyType.HASH),
                                    k -> k.attributeName("leaseKey").keyType(KeyType.RANGE))
                            .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY))));
            assertThat(ddb.describeTable(b -> b.tableName("app-leases")).table().tableStatus())
                    .isEqualTo(TableStatus.ACTIVE);

            Map<String, AttributeValue> lease = Map.of("leaseKey", s("shardId-000000000000"),
                    "leaseOwner", s("worker-1"), "leaseCounter", AttributeValue.fromN("1"));
            ddb.putItem(b -> b.tableName("app-leases").item(lease).conditionExpression("attribute_not_exists(leaseKey)"));
            assertThatThrownBy(() -> ddb.putItem(b -> b.tableName("app-leases").item(lease)
                    .conditionExpression("attribute_not_exists(leaseKey)")))
                    .isInstanceOf(ConditionalCheckFailedException.class);

            ddb.updateItem(b -> b.tableName("app-leases").key(Map.of("leaseKey", s("shardId-000000000000")))
                    .expected(Map.of("leaseCounter", software.amazon.awssdk.services.dynamodb.model
                            .ExpectedAttributeValue.builder().value(AttributeValue.fromN("1")).build()))
                    .attributeUpdates(Map.of("leaseCounter", software.amazon.awssdk.services.dynamodb.model
                            .AttributeValueUpdate.builder().action("ADD").value(AttributeValue.fromN("1")).build())));
            assertThat(ddb.getItem(b -> b.tableName("app-leases").consistentRead(true)
                    .key(Map.of("leaseKey", s("shardId-000000000000")))).item().get("leaseCounter").n())
                    .isEqualTo("2");

            assertThat(ddb.query(b -> b.tableName("app-leases").indexName("LeaseOwnerToLeaseKeyIndex")
                    .keyConditionExpression("leaseOwner = :o")
                    .expressionAttributeValues(Map.of(":o", s("worker-1")))).items()).hasSize(1);

            assertThatThrownBy(() -> ddb.transactWriteItems(b -> b.transactItems(
                    t -> t.put(p -> p.tableName("app-leases")
                            .item(Map.of("leaseKey", s("shardId-000000000001")))),
                    t -> t.conditionCheck(c -> c.tableName("app-leases")
                            .key(Map.of("leaseKey", s("shardId-000000000000")))
                            .conditionExpression("leaseOwner = :x")
                            .expressionAttributeValues(Map.of(":x", s("nobody")))))))
                    .isInstanceOf(TransactionCanceledException.class);
            assertThat(ddb.scan(b -> b.tableName("app-leases")).items()).hasSize(1);
            assertThatThrownBy(() -> ddb.getItem(b -> b.tableName("missing").key(Map.of("k", s("v")))))
                    .isInstanceOf(ResourceNotFoundException.class);
        }
        assertThat(server.stop()).isZero();
        server = MillraceProcess.start(dir.resolve("data"));
        try (DynamoDbClient ddb = client(server)) {
            assertThat(ddb.getItem(b -> b.tableName("app-leases").key(Map.of("leaseKey", s("shardId-000000000000"))))
                    .item().get("leaseCounter").n()).isEqualTo("2");
        }
    }
}
