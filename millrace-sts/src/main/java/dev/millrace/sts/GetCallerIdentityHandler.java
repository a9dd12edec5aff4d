package dev.millrace.sts;

import dev.millrace.protocol.Account;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GetCallerIdentity: who the caller is. Millrace accepts any credentials as its one account's, so every caller is
 * that account's root user, as AWS answers for an account's own access keys: {@code Arn} is
 * {@code arn:PARTITION:iam::ACCOUNT:root} and {@code UserId} the account id.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 *
 * <p>Stateless, thread-safe.
 */
final class GetCallerIdentityHandler implements StsApi.Operation {
    @Override
    public Map<String, String> handle(Map<String, String> parameters, Account caller) {
        Map<String, String> output = new LinkedHashMap<>();
        output.put("Arn", "arn:" + caller.partition() + ":iam::" + caller.id() + ":root");
        output.put("UserId", caller.id());
        output.put("Account", caller.id());
        return output;
    }
}
