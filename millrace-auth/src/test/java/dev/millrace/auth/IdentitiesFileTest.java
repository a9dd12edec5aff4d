package dev.millrace.auth;

import dev.millrace.auth.policy.Decision;
import dev.millrace.auth.policy.RequestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The identities file: a good one, and each way a bad one is refused with a message naming what is wrong. */
class IdentitiesFileTest {
    private static final String ORDERS = "arn:aws:kinesis:us-east-1:111122223333:stream/orders";
    private static final String PRODUCER = "{\"name\":\"producer\",\"accountId\":\"111122223333\","
            + "\"accessKeyId\":\"AKIAPRODUCER0000001\",\"secretAccessKey\":\"s3cr3t/producer+key\","
            + "\"policy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Action\":[\"kinesis:PutRecord\",\"kinesis:PutRecords\"],\"Resource\":\"" + ORDERS + "\"}]}}";
    private static final String NOBODY = "{\"name\":\"nobody\",\"accountId\":\"111122223333\","
            + "\"accessKeyId\":\"AKIANOBODY000000001\",\"secretAccessKey\":\"x\"}";

    @TempDir
    Path dir;

    private Path write(String content) throws IOException {
        Path file = dir.resolve("identities.json");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private void assertRefused(String content, String... expectedTexts) throws IOException {
        Path file = write(content);
        assertThatThrownBy(() -> IdentitiesFile.load(file)).isInstanceOfSatisfying(IdentitiesFileException.class,
                e -> assertThat(e.getMessage()).contains(file.toString()).contains(expectedTexts));
    }

    @Test
    void aGoodFileLoadsAndItsPoliciesApply() throws Exception {
        Identities identities = IdentitiesFile.load(write("{\"identities\":[\n" + PRODUCER + ",\n" + NOBODY
                + ",\n{\"name\":\"producer\",\"accountId\":\"444455556666\",\"accessKeyId\":\"AKIAOTHERACCOUNT0001\","
                + "\"secretAccessKey\":\"y\",\"policy\":{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                + "\"Resource\":\"*\"}}}]}"));
        assertThat(identities.size()).isEqualTo(3);
        Identity producer = identities.byAccessKeyId("AKIAPRODUCER0000001");
        assertThat(producer.name()).isEqualTo("producer");
        assertThat(producer.accountId()).isEqualTo("111122223333");
        assertThat(producer.secretAccessKey()).isEqualTo("s3cr3t/producer+key");
        assertThat(producer.principalArn()).isEqualTo("arn:aws:iam::111122223333:user/producer");
        assertThat(producer.toString()).doesNotContain("s3cr3t");
        assertThat(identities.byAccessKeyId("AKIAOTHERACCOUNT0001").principalArn())
                .isEqualTo("arn:aws:iam::444455556666:user/producer");
        assertThat(identities.byAccessKeyId("AKIAUNKNOWN00000001")).isNull();
        assertThat(identities.byAccessKeyId(null)).isNull();

        RequestContext context = Authorizer.contextFor(producer).build();
        assertThat(Authorizer.authorize(producer, "kinesis:PutRecords", ORDERS, "111122223333", null, context)
                .allowed()).isTrue();
        assertThat(Authorizer.authorize(producer, "kinesis:DeleteStream", ORDERS, "111122223333", null, context)
                .reason()).isEqualTo(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS);
        Identity nobody = identities.byAccessKeyId("AKIANOBODY000000001");
        assertThat(nobody.policy()).isNull();
        assertThat(Authorizer.authorize(nobody, "kinesis:DescribeStream", ORDERS, null, null,
                RequestContext.EMPTY).allowed()).isFalse();
        assertThat(identities.warnings()).singleElement().asString().contains("\"nobody\"", "has no policy");
        assertThat(context.values("aws:username")).containsExactly("producer");
        assertThat(context.values("AWS:PRINCIPALACCOUNT")).containsExactly("111122223333");
    }

    @Test
    void anEmptyIdentitiesArrayLoadsWithAWarning() throws Exception {
        Identities identities = IdentitiesFile.load(write("{\"identities\":[]}"));
        assertThat(identities.size()).isZero();
        assertThat(identities.warnings()).singleElement().asString().contains("lists no identities");
    }

    @Test
    void aFileOthersCanReadEarnsAWarning() throws Exception {
        Path file = write("{\"identities\":[" + PRODUCER + "]}");
        assertThat(IdentitiesFile.load(file).warnings()).isEmpty();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(IdentitiesFile.load(file).warnings()).singleElement().asString()
                .contains("readable by its group and all users", "chmod 600");
    }

    @Test
    void policyAdminIsRefusedWithTheAllowAllStatementToWrite() throws IOException {
        assertRefused("{\"identities\":[{\"name\":\"root\",\"accountId\":\"111122223333\","
                + "\"accessKeyId\":\"AKIAADMIN0000000001\",\"secretAccessKey\":\"x\",\"policy\":\"admin\"}]}",
                "identity 1", "\"root\"", "field \"policy\" is the string \"admin\"",
                "\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"accountId\":\"11112222333\" | field \"accountId\": an account id is 12 digits",
        "\"accountId\":111122223333 | field \"accountId\" must be a string",
        "\"accessKeyId\":\"akiaproducer0000001\" | field \"accessKeyId\": an access key id is 16 to 128",
        "\"accessKeyId\":\"AKIA123\" | field \"accessKeyId\": an access key id is 16 to 128",
        "\"secretAccessKey\":\"\" | field \"secretAccessKey\": a secret access key must not be empty",
        "\"name\":\"pro ducer\" | field \"name\": a user name is 1 to 64 characters",
        "\"polcy\":{} | unknown field \"polcy\"",
        "\"policy\":[] | field \"policy\" must be an IAM policy document",
        "\"policy\":{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}} | field \"policy\": Policy statement must contain resources.",
        "\"policy\":{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}} | Policy document should not specify a principal.",
    })
    void eachBadFieldIsNamed(String badField, String expectedText) throws IOException {
        String field = badField.substring(1, badField.indexOf('"', 1));
        // Replace the field if the good identity has it, else add it.
        String identity = PRODUCER.contains("\"" + field + "\":")
                ? PRODUCER.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\{.*\\}(?=\\}$))", java.util.regex.Matcher
                        .quoteReplacement(badField))
                : PRODUCER.substring(0, PRODUCER.length() - 1) + "," + badField + "}";
        assertThat(identity).contains(badField);
        assertRefused("{\"identities\":[" + NOBODY + "," + identity + "]}", "identity 2", expectedText);
    }

    @Test
    void missingFieldsAreNamed() throws IOException {
        assertRefused("{\"identities\":[{\"name\":\"a\",\"accessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\","
                + "\"secretAccessKey\":\"x\"}]}", "identity 1", "\"a\"", "field \"accountId\" is missing");
        assertRefused("{\"identities\":[{\"accountId\":\"111122223333\",\"accessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\","
                + "\"secretAccessKey\":\"x\"}]}", "identity 1", "field \"name\" is missing");
    }

    @Test
    void duplicatesAreRefused() throws IOException {
        String sameKey = NOBODY.replace("\"nobody\"", "\"other\"");
        assertRefused("{\"identities\":[" + NOBODY + "," + sameKey + "]}",
                "\"nobody\" and \"other\" have the same accessKeyId AKIANOBODY000000001");
        String sameName = NOBODY.replace("AKIANOBODY000000001", "AKIANOBODY000000002");
        assertRefused("{\"identities\":[" + NOBODY + "," + sameName + "]}",
                "two identities are named \"nobody\" in account 111122223333");
        assertRefused("{\"identities\":[{\"name\":\"a\",\"name\":\"b\"}]}", "Duplicate field 'name'", "line 1");
        assertRefused("{\"identities\":[],\"identities\":[]}", "Duplicate field 'identities'");
    }

    @Test
    void theFileShapeIsChecked() throws IOException {
        assertRefused("identities: []", "is not valid JSON");
        assertRefused("{\"identities\":[" + NOBODY, "is not valid JSON");
        assertRefused("[]", "must hold a JSON object");
        assertRefused("{}", "has no \"identities\" array");
        assertRefused("{\"identities\":{}}", "\"identities\" must be an array");
        assertRefused("{\"identities\":[\"producer\"]}", "identity 1 (line 1) must be a JSON object");
        assertRefused("{\"users\":[]}", "unknown field \"users\"");
        assertRefused("{\"identities\":[]} {}", "text follows");
        assertRefused("", "must hold a JSON object");
    }

    @Test
    void aSyntaxErrorNeverRepeatsASecret() throws IOException {
        Path file = write("{\"identities\":[{\"name\":\"a\",\"secretAccessKey\": wJalrXUtnFEMIK7MDENG}]}");
        assertThatThrownBy(() -> IdentitiesFile.load(file)).isInstanceOf(IdentitiesFileException.class)
                .hasMessageContaining("is not valid JSON: Unrecognized token")
                .hasMessageContaining("line 1")
                .hasMessageNotContaining("wJalrXUtnFEMIK7MDENG");
    }

    @Test
    void identitiesMadeInCodeAreCheckedToo() {
        assertThatThrownBy(() -> new Identity("a", "123", "AKIAAAAAAAAAAAAAAAA1", "x", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("accountId: ");
        assertThatThrownBy(() -> new Identity("a", "111122223333", "AKIAAAAAAAAAAAAAAAA1", "", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("secretAccessKey: ");
        assertThatThrownBy(() -> new Identity("a", "111122223333", "AKIAAAAAAAAAAAAAAAA1", "x",
                dev.millrace.auth.policy.PolicyDocument.parseResourcePolicy("{\"Statement\":{\"Effect\":\"Allow\","
                        + "\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("policy: ");
    }

    @Test
    void errorsNameTheLine() throws IOException {
        assertRefused("{\"identities\": [\n" + NOBODY + ",\n\n" + NOBODY.replace("111122223333", "1") + "\n]}",
                "identity 2 (line 4) \"nobody\"", "account id is 12 digits");
    }

    @Test
    void aMissingOrHugeFileIsRefused() throws IOException {
        Path missing = dir.resolve("absent.json");
        assertThatThrownBy(() -> IdentitiesFile.load(missing)).isInstanceOf(IdentitiesFileException.class)
                .hasMessageContaining("cannot be read");
        String padding = " ".repeat(IdentitiesFile.MAX_FILE_BYTES);
        assertRefused("{\"identities\":[]}" + padding, "is larger than " + IdentitiesFile.MAX_FILE_BYTES);
    }
}
