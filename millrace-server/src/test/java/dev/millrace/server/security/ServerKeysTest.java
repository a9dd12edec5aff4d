package dev.millrace.server.security;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.crypto.KeyUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The --kms-keys file: each form of KeyId AWS takes, disabled and unknown keys, reloads, and refused files. */
class ServerKeysTest {
    private static final Account SCOPE = new Account("eu-west-1", "111122223333");
    private static final String ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final String MATERIAL = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        return Files.writeString(dir.resolve("keys.json"), json);
    }

    private static String keys(boolean enabled) {
        return "{\"keys\": [{\"keyId\": \"" + ID + "\", \"aliases\": [\"alias/orders\", \"alias/aws/kinesis\"], "
                + "\"enabled\": " + enabled + ", \"material\": \"" + MATERIAL + "\"}]}";
    }

    @Test
    void everyFormOfKeyIdNamesTheKey() throws Exception {
        ServerKeys keys = ServerKeys.load(file(keys(true)));
        for (String form : new String[] {ID, "alias/orders", "alias/aws/kinesis",
                "arn:aws:kms:eu-west-1:111122223333:key/" + ID, "arn:aws:kms:eu-west-1:111122223333:alias/orders"}) {
            assertThat(keys.key(form, SCOPE).keyId()).as(form).isEqualTo(ID);
        }
        assertThat(keys.key(ID).keyId()).isEqualTo(ID);
        assertThat(keys.atRest()).isTrue();
    }

    @Test
    void unknownAndDisabledKeysAreAwsKmsErrors() throws Exception {
        Path f = file(keys(true));
        ServerKeys keys = ServerKeys.load(f);
        assertThatThrownBy(() -> keys.key("alias/nobody", SCOPE)).isInstanceOfSatisfying(KinesisException.class, e -> {
            assertThat(e.errorType()).isEqualTo("KMSNotFoundException");
            assertThat(e.getMessage()).isEqualTo("Alias arn:aws:kms:eu-west-1:111122223333:alias/nobody is not found.");
        });
        assertThatThrownBy(() -> keys.key("0000", SCOPE)).isInstanceOfSatisfying(KinesisException.class, e ->
                assertThat(e.getMessage()).isEqualTo("Key 'arn:aws:kms:eu-west-1:111122223333:key/0000' does not exist"));
        Files.writeString(f, keys(false));
        assertThat(keys.reload()).isTrue();
        assertThatThrownBy(() -> keys.key("alias/orders", SCOPE)).isInstanceOfSatisfying(KinesisException.class, e ->
                assertThat(e.errorType()).isEqualTo("KMSDisabledException"));
        assertThatThrownBy(() -> keys.key(ID)).isInstanceOfSatisfying(KeyUnavailableException.class, e ->
                assertThat(e.reason()).isEqualTo(KeyUnavailableException.Reason.DISABLED));
        Files.writeString(f, "{\"keys\": [ not json");
        assertThat(keys.reload()).as("a bad file keeps the keys in force").isFalse();
        assertThatThrownBy(() -> keys.key(ID)).isInstanceOf(KeyUnavailableException.class);
    }

    @Test
    void badFilesAreRefusedWithTheirReasonAndNeverShowMaterial() throws Exception {
        assertThatThrownBy(() -> ServerKeys.load(file("{\"keys\": [{\"keyId\": \"k\", \"material\": \"AAAA\"}]}")))
                .hasMessageContaining("material must be the base64 of 32 random bytes");
        assertThatThrownBy(() -> ServerKeys.load(file("{\"keys\": [{\"keyId\": \"k\", \"materal\": \"x\"}]}")))
                .hasMessageContaining("unknown field \"materal\"");
        assertThatThrownBy(() -> ServerKeys.load(file("{\"keys\": [{\"keyId\": \"k\", \"aliases\": [\"orders\"], "
                + "\"material\": \"" + MATERIAL + "\"}]}"))).hasMessageContaining("alias/orders");
        assertThatThrownBy(() -> ServerKeys.load(file("{\"keys\": [{\"keyId\": \"k\", \"material\": \"" + MATERIAL
                + "\"}, {\"keyId\": \"k\", \"material\": \"" + MATERIAL + "\"}]}"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> ServerKeys.load(file("{\"keys\": [{\"keyId\": \"k\", \"material\": \"SECRETSECRET"
                + "\" broken"))).hasMessageContaining("not valid JSON").hasMessageNotContaining("SECRETSECRET");
    }
}
