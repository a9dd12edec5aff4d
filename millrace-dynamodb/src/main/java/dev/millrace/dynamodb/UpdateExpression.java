package dev.millrace.dynamodb;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed UpdateExpression: SET (with {@code +}, {@code -}, {@code if_not_exists}, {@code list_append}), REMOVE, ADD
 * and DELETE actions, applied in order against the item as it was before the update.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 *
 * <p>Immutable, thread-safe.
 */
final class UpdateExpression implements ItemUpdate {
    /** One action; {@code clause} is SET, REMOVE, ADD or DELETE, {@code value} null for REMOVE. */
    record Action(String clause, DocumentPath path, Operand value) {
    }

    private final List<Action> actions;

    UpdateExpression(List<Action> actions) {
        this.actions = List.copyOf(actions);
        // Every action reads the old item, so two actions on one path would silently lose one; DynamoDB refuses.
        for (int i = 0; i < actions.size(); i++) {
            for (int j = i + 1; j < actions.size(); j++) {
                DocumentPath a = actions.get(i).path();
                DocumentPath b = actions.get(j).path();
                if (a.overlaps(b)) {
                    throw DynamoException.validation("Invalid UpdateExpression: Two document paths overlap with each "
                            + "other; must remove or rewrite one of these paths; path one: [" + a + "], path two: ["
                            + b + "]");
                }
            }
        }
    }

    @Override
    public void apply(Map<String, AttributeValue> before, Map<String, AttributeValue> target, Set<String> touched) {
        for (Action a : actions) {
            touched.add(a.path().topLevel());
            switch (a.clause()) {
                case "SET": {
                    AttributeValue value = a.value().eval(before);
                    if (value == null) {
                        // SET n = missing.path: it stored a null, which failed every later read of the item.
                        throw DynamoException.validation("The provided expression refers to an attribute that does "
                                + "not exist in the item");
                    }
                    a.path().set(target, value);
                    break;
                }
                case "REMOVE":
                    a.path().remove(target);
                    break;
                case "ADD": {
                    AttributeValue sum = ItemUpdate.add(a.path().get(before), a.value().eval(before));
                    a.path().set(target, sum);
                    break;
                }
                default: {
                    AttributeValue left = ItemUpdate.deleteElements(a.path().get(before), a.value().eval(before));
                    if (left == null) {
                        a.path().remove(target);
                    } else {
                        a.path().set(target, left);
                    }
                }
            }
        }
    }
}
