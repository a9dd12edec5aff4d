package dev.millrace.server.records;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyUnavailableException;

/**
 * The KMS keys streams are encrypted with ({@code StartStreamEncryption}'s {@code KeyId}, in any of the forms AWS
 * takes: key id, key ARN, alias name, alias ARN), as the server's key file defines them. A key that cannot be used is
 * AWS's KMS error, so a write or read of an encrypted stream fails as it would on AWS when its key is gone or disabled.
 *
 * <p>Without a key file ({@link #NONE}) StartStreamEncryption takes any KeyId and the stream and its records are
 * reported encrypted, as on AWS (so that scripts and templates that turn encryption on keep working on a laptop), but
 * nothing is encrypted at rest. With one, records are encrypted at rest and each reports the encryption it was
 * stored with.
 *
 * <p>Implementations are thread-safe.
 */
public interface StreamKeys {
    /** No key file: encryption is reported, not applied. */
    StreamKeys NONE = new StreamKeys() {
        @Override
        public DataKey key(String requestedKeyId, Account scope) {
            return null;
        }

        @Override
        public boolean atRest() {
            return false;
        }
    };

    /**
     * The key {@code requestedKeyId} names for a request in {@code scope}; null without a key file.
     *
     * @throws KinesisException {@code KMSNotFoundException} or {@code KMSDisabledException}
     */
    DataKey key(String requestedKeyId, Account scope);

    /** Whether encrypted streams are encrypted at rest (a key file is given). */
    default boolean atRest() {
        return true;
    }

    /** AWS's KMS error for a key the storage engine could not read records with. */
    static KinesisException unavailable(KeyUnavailableException e) {
        return e.reason() == KeyUnavailableException.Reason.DISABLED
                ? KinesisException.client("KMSDisabledException", e.keyId() + " is disabled.")
                : KinesisException.client("KMSNotFoundException", "Key '" + e.keyId() + "' does not exist");
    }
}
