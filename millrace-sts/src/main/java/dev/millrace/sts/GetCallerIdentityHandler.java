package dev.millrace.sts;

import dev.millrace.protocol.Account;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GetCallerIdentity: who the caller is. An identity of the server's identities file is an IAM user: {@code Arn} is
 * {@code arn:PARTITION:iam::ACCOUNT:user/NAME} and {@code UserId} a stable IAM-style unique id ({@code AIDA} and 17
 * hex characters of the ARN's hash, as IAM's user ids look). With {@code --auth none} any credentials are the server's
 * account's, so the caller is that account's root, as AWS answers for an account's own access keys: {@code Arn} is
 * {@code arn:PARTITION:iam::ACCOUNT:root} and {@code UserId} the account id.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 *
 * <p>Stateless, thread-safe.
 */
final class GetCallerIdentityHandler implements StsApi.Operation {
    @Override
    public Map<String, String> handle(Map<String, String> parameters, StsApi.Who who) {
        Account caller = who.account();
        Map<String, String> output = new LinkedHashMap<>();
        if (who.userName() == null) {
            output.put("Arn", "arn:" + caller.partition() + ":iam::" + caller.id() + ":root");
            output.put("UserId", caller.id());
        } else {
            String arn = "arn:" + caller.partition() + ":iam::" + caller.id() + ":user/" + who.userName();
            output.put("Arn", arn);
            output.put("UserId", userId(arn));
        }
        output.put("Account", caller.id());
        return output;
    }

    /** IAM's user ids are AIDA and 17 characters of [A-Z0-9]: here the ARN's SHA-256 in hex, so stable per user. */
    static String userId(String arn) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(arn.getBytes(StandardCharsets.UTF_8));
            return "AIDA" + HexFormat.of().withUpperCase().formatHex(digest).substring(0, 17);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
