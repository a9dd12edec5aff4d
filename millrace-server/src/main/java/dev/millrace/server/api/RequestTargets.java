package dev.millrace.server.api;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ShardIterators;

import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a Kinesis request acts on, as IAM sees it: the account's region it addresses, and the ARN of the resource its
 * action is authorized on (AWS's Service Authorization Reference for Kinesis: a stream, a consumer, a channel, or
 * none, written {@code "*"}).
 *
 * <p>A request addresses the account and region it was signed for, unless it names a resource of another account by
 * ARN ({@code StreamARN}, {@code ConsumerARN}, {@code ResourceARN}, {@code ChannelARN}) or, for GetRecords, holds an
 * iterator issued for another account's stream: that is how AWS's cross-account access works, and the resource's
 * policy then decides together with the caller's. Only accounts this server knows (its own and those of its
 * identities) are ever addressed; an ARN of any other account, or of another region or partition, is looked up in the
 * caller's own account's region and not found there, as before accounts were kept apart.
 *
 * <p>Stateless, thread-safe.
 */
public final class RequestTargets {
    /**
     * The operations AWS authorizes on no resource. ListChannels is not one: the Service Authorization Reference
     * scopes it to streams, so it is authorized on {@code stream/*} of the account's region.
     */
    private static final Set<String> NO_RESOURCE = Set.of("ListStreams", "DescribeLimits", "DescribeAccountSettings",
            "UpdateAccountSettings");
    /** The operations whose resource is a consumer (the others that name one act on its stream). */
    private static final Set<String> ON_CONSUMER = Set.of("DescribeStreamConsumer", "DeregisterStreamConsumer",
            "SubscribeToShard");
    private static final List<String> ARN_MEMBERS = List.of("StreamARN", "ConsumerARN", "ResourceARN", "ChannelARN");

    private RequestTargets() {
    }

    /**
     * The account's region {@code request} addresses.
     *
     * @param signed       the caller's account in the region the request was signed for
     * @param iterators    to read a GetRecords iterator's account and region
     * @param knownAccount whether an account id is one this server serves
     */
    public static Account scope(String operation, Struct request, Account signed, ShardIterators iterators,
                                Predicate<String> knownAccount) {
        for (String member : ARN_MEMBERS) {
            String arn = request.string(member);
            if (arn != null) {
                return scopeOfArn(arn, signed, knownAccount);
            }
        }
        if ("GetRecords".equals(operation)) {
            String iterator = request.string("ShardIterator");
            ShardIterators.Position at;
            try {
                at = iterator == null ? null : iterators.parse(iterator);
            } catch (KinesisException e) {
                return signed; // GetRecords answers the bad iterator itself
            }
            if (at != null && at.scope() != null && at.scope().region().equals(signed.region())
                    && (at.scope().id().equals(signed.id()) || knownAccount.test(at.scope().id()))) {
                return at.scope();
            }
        }
        return signed;
    }

    /** {@code arn:<partition>:kinesis:<region>:<account>:...} of a known account in the signed region; else signed. */
    private static Account scopeOfArn(String arn, Account signed, Predicate<String> knownAccount) {
        String[] parts = arn.split(":", 6);
        if (parts.length < 6 || !"arn".equals(parts[0]) || !signed.partition().equals(parts[1])
                || !"kinesis".equals(parts[2]) || !signed.region().equals(parts[3])
                || signed.id().equals(parts[4]) || !parts[4].matches("[0-9]{12}") || !knownAccount.test(parts[4])) {
            return signed;
        }
        return new Account(signed.region(), parts[4]);
    }

    /**
     * The ARN of the resource {@code operation} acts on in {@code services}' account and region, or {@code "*"} for
     * none. Best effort by design: when the request names its resource badly, the ARN is what it names (an
     * authorization on a resource that does not exist refuses or allows as IAM would, and the handler then answers
     * the bad request itself).
     */
    public static String resourceArn(String operation, Struct request, ApiServices services) {
        if (NO_RESOURCE.contains(operation)) {
            return "*";
        }
        Account account = services.streams().account();
        String resourceArn = request.string("ResourceARN");
        if (resourceArn != null) {
            return resourceArn;
        }
        String channelArn = request.string("ChannelARN");
        if (channelArn != null) {
            return channelArn;
        }
        if ("CreateChannel".equals(operation)) {
            // A channel's ARN carries its id, which CreateChannel has yet to choose: no policy can name the new
            // channel, so CreateChannel is authorized on every channel of the account's region.
            return "arn:" + account.partition() + ":kinesis:" + account.region() + ":" + account.id()
                    + ":channel/*";
        }
        if (ON_CONSUMER.contains(operation)) {
            return consumerArn(request, services);
        }
        String streamArn = request.string("StreamARN");
        if (streamArn != null) {
            return streamArn;
        }
        String name = request.string("StreamName");
        if (name == null && "GetRecords".equals(operation)) {
            name = iteratorStream(request, services);
        }
        return account.streamArn(name == null ? "*" : name);
    }

    /** One more action a call is authorized for, besides {@code kinesis:<operation>} on its resource. */
    public record Also(String operation, String resourceArn) {
    }

    /**
     * The further actions {@code operation} needs (Service Authorization Reference): CreateChannel also needs
     * {@code kinesis:AssociateStreamsWithChannel} on each stream it reads, and {@code kinesis:TagResource} on the
     * channel when it sets tags. {@code iam:PassRole} for ServiceExecutionRoleARN is not checked: Millrace assumes no
     * role to deliver.
     */
    public static List<Also> also(String operation, Struct request, ApiServices services) {
        if (!"CreateChannel".equals(operation)) {
            return List.of();
        }
        List<Also> out = new java.util.ArrayList<>();
        List<Struct> streams = request.list("StreamConfigurationList");
        if (streams != null) {
            for (Struct s : streams) {
                out.add(new Also("AssociateStreamsWithChannel", s.string("StreamARN")));
            }
        }
        java.util.Map<String, String> tags = request.stringMap("Tags");
        if (tags != null && !tags.isEmpty()) {
            out.add(new Also("TagResource", resourceArn(operation, request, services)));
        }
        return out;
    }

    private static String consumerArn(Struct request, ApiServices services) {
        String consumerArn = request.string("ConsumerARN");
        if (consumerArn != null) {
            return consumerArn;
        }
        String streamArn = request.string("StreamARN");
        String name = request.string("ConsumerName");
        if (streamArn == null || name == null) {
            return "*";
        }
        try {
            ConsumerRecord c = ConsumerRefs.find(services, request);
            return c.arn(services.streams().account());
        } catch (KinesisException notFound) {
            // A consumer that does not exist has no creation time for its ARN; a policy's ".../consumer/*" still
            // matches this, and the handler then answers that it is not found.
            return streamArn + "/consumer/" + name;
        }
    }

    private static String iteratorStream(Struct request, ApiServices services) {
        String iterator = request.string("ShardIterator");
        try {
            return iterator == null ? null : services.iterators().parse(iterator).streamName();
        } catch (KinesisException e) {
            return null;
        }
    }
}
