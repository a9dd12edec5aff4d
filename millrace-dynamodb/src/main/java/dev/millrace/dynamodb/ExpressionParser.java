package dev.millrace.dynamodb;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads DynamoDB expressions by recursive descent: condition expressions (also filters and key conditions), update
 * expressions and projection expressions. Keywords are case-insensitive, as in DynamoDB; reserved words are not
 * rejected (clients that work against DynamoDB never send them unescaped, so checking would only cost time).
 *
 * <p>DynamoDB's documented limits (Developer Guide, "Constraints", expression parameters) are enforced with its
 * wording, and they also bound the work a hostile expression can cause: an expression is at most 4 KB (checked
 * before it is even tokenized), has at most 300 operators and functions, an IN at most 100 operands, a document
 * path at most 32 levels, a list index at most 4294967294. The recursion is bounded as well: parentheses nested more
 * than 100 deep are refused before the stack is at risk (a condition 2,000 parentheses deep overflowed it). Every
 * level of non-redundant nesting needs an operator of its own, so such an expression is usually one DynamoDB refuses
 * too, and it gets DynamoDB's error: too many operators when it has more than 300, redundant parentheses when it
 * has fewer operators than levels; only the rare rest (100 to 300 levels, an operator on each) gets Millrace's own
 * ValidationException.
 *
 * <p>Not thread-safe; one per expression.
 */
final class ExpressionParser {
    private enum Kind { IDENT, NAME_REF, VALUE_REF, NUMBER, SYMBOL, END }

    static final int MAX_EXPRESSION_BYTES = 4096;
    static final int MAX_OPERATORS = 300;
    static final int MAX_IN_OPERANDS = 100;
    static final int MAX_PATH_LEVELS = 32;
    static final long MAX_LIST_INDEX = 4_294_967_294L;
    /**
     * Parentheses nested deeper than this are refused (see the class comment). DynamoDB's own limits allow up to
     * 300 levels, but at four stack frames a level that is close to what a worker thread's stack holds; a person
     * or SDK never writes more than a few, so Millrace stops at 100.
     */
    static final int MAX_NESTING = 100;

    private record Token(Kind kind, String text, int at) {
    }

    private final String kind;
    private final String source;
    private final ExpressionContext context;
    private final List<Token> tokens;
    private int next;
    private int operators;
    private int nesting;

    private ExpressionParser(String kind, String source, ExpressionContext context) {
        this.kind = kind;
        this.source = source;
        this.context = context;
        int sizeBytes = source.getBytes(StandardCharsets.UTF_8).length;
        if (sizeBytes > MAX_EXPRESSION_BYTES) {
            throw invalid("Expression size has exceeded the maximum allowed size; expression size: " + sizeBytes);
        }
        this.tokens = tokenize();
    }

    static Condition condition(String kind, String expression, ExpressionContext context) {
        ExpressionParser p = new ExpressionParser(kind, expression, context);
        Condition c = p.orExpression();
        p.expectEnd();
        return c;
    }

    static UpdateExpression update(String expression, ExpressionContext context) {
        ExpressionParser p = new ExpressionParser("UpdateExpression", expression, context);
        UpdateExpression u = p.updateClauses();
        p.expectEnd();
        return u;
    }

    static List<DocumentPath> projection(String expression, ExpressionContext context) {
        ExpressionParser p = new ExpressionParser("ProjectionExpression", expression, context);
        List<DocumentPath> paths = new ArrayList<>();
        do {
            paths.add(p.path());
        } while (p.acceptSymbol(","));
        p.expectEnd();
        return paths;
    }

    private List<Token> tokenize() {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (c == '#' || c == ':' || isIdentChar(c)) {
                i++;
                while (i < n && isIdentChar(source.charAt(i))) {
                    i++;
                }
                String text = source.substring(start, i);
                Kind k = c == '#' ? Kind.NAME_REF : c == ':' ? Kind.VALUE_REF
                        : Character.isDigit(c) ? Kind.NUMBER : Kind.IDENT;
                if ((k == Kind.NAME_REF || k == Kind.VALUE_REF) && text.length() == 1) {
                    throw syntax(text, start);
                }
                out.add(new Token(k, text, start));
                continue;
            }
            String two = i + 1 < n ? source.substring(i, i + 2) : "";
            if (two.equals("<>") || two.equals("<=") || two.equals(">=")) {
                out.add(new Token(Kind.SYMBOL, two, i));
                i += 2;
            } else if ("=<>(),.[]+-".indexOf(c) >= 0) {
                out.add(new Token(Kind.SYMBOL, String.valueOf(c), i));
                i++;
            } else {
                throw syntax(String.valueOf(c), i);
            }
        }
        out.add(new Token(Kind.END, "<EOF>", n));
        return out;
    }

    private static boolean isIdentChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    // ---- conditions

    private Condition orExpression() {
        Condition left = andExpression();
        while (acceptKeyword("OR")) {
            operator();
            left = new Condition.Or(left, andExpression());
        }
        return left;
    }

    private Condition andExpression() {
        Condition left = notExpression();
        while (acceptKeyword("AND")) {
            operator();
            left = new Condition.And(left, notExpression());
        }
        return left;
    }

    private Condition notExpression() {
        if (acceptKeyword("NOT")) {
            operator();
            return new Condition.Not(notExpression());
        }
        return primary();
    }

    private Condition primary() {
        if (acceptSymbol("(")) {
            enterParentheses();
            Condition inner = orExpression();
            expectSymbol(")");
            nesting--;
            return inner;
        }
        Token t = peek();
        if (t.kind == Kind.IDENT && peekAt(1).text.equals("(") && !t.text.equals("size")) {
            return function();
        }
        Operand left = operand();
        if (acceptKeyword("BETWEEN")) {
            operator();
            Operand low = operand();
            expectKeyword("AND");
            return new Condition.Between(left, low, operand());
        }
        if (acceptKeyword("IN")) {
            operator();
            expectSymbol("(");
            List<Operand> candidates = new ArrayList<>();
            do {
                candidates.add(operand());
            } while (acceptSymbol(","));
            expectSymbol(")");
            if (candidates.size() > MAX_IN_OPERANDS) {
                throw invalid("The IN operator is provided with too many operands; number of operands: "
                        + candidates.size());
            }
            return new Condition.In(left, candidates);
        }
        Token op = advance();
        if (op.kind != Kind.SYMBOL || !List.of("=", "<>", "<", "<=", ">", ">=").contains(op.text)) {
            throw syntax(op.text, op.at);
        }
        operator();
        return new Condition.Compare(op.text, left, operand());
    }

    private Condition function() {
        operator();
        Token name = advance();
        expectSymbol("(");
        DocumentPath path = path();
        Operand argument = null;
        switch (name.text) {
            case "attribute_exists":
            case "attribute_not_exists":
                break;
            case "attribute_type":
            case "begins_with":
            case "contains":
                expectSymbol(",");
                argument = operand();
                break;
            default:
                throw DynamoException.validation("Invalid " + kind + ": Invalid function name; function: "
                        + name.text);
        }
        expectSymbol(")");
        return new Condition.Function(name.text, path, argument);
    }

    /** A path, a :value or size(path). */
    private Operand operand() {
        Token t = peek();
        if (t.kind == Kind.VALUE_REF) {
            advance();
            return new Operand.Value(context.value(t.text));
        }
        if (t.kind == Kind.IDENT && t.text.equals("size") && peekAt(1).text.equals("(")) {
            operator();
            advance();
            expectSymbol("(");
            DocumentPath path = path();
            expectSymbol(")");
            return new Operand.Size(path);
        }
        return new Operand.Path(path());
    }

    DocumentPath path() {
        List<Object> elements = new ArrayList<>();
        elements.add(pathName());
        while (true) {
            if (acceptSymbol(".")) {
                elements.add(pathName());
            } else if (acceptSymbol("[")) {
                Token index = advance();
                if (index.kind != Kind.NUMBER) {
                    throw syntax(index.text, index.at);
                }
                elements.add(listIndex(index));
                expectSymbol("]");
            } else {
                if (elements.size() > MAX_PATH_LEVELS) {
                    throw invalid("The document path has too many nesting levels; nesting levels: "
                            + elements.size());
                }
                return new DocumentPath(elements);
            }
        }
    }

    /**
     * A list index as DynamoDB reads it: decimal digits, at most 4294967294 (a larger one was a 500, from
     * Integer.parseInt). A token of digits and letters ({@code 1a}) is a syntax error.
     */
    private Long listIndex(Token index) {
        String digits = index.text;
        if (digits.chars().anyMatch(c -> c < '0' || c > '9')) {
            throw syntax(digits, index.at);
        }
        String significant = digits.replaceFirst("^0+(?=.)", "");
        if (significant.length() > 10 || Long.parseLong(significant) > MAX_LIST_INDEX) {
            throw invalid("List index is not within the allowable range; index: [" + digits + "]");
        }
        return Long.parseLong(significant);
    }

    private String pathName() {
        Token t = advance();
        if (t.kind == Kind.NAME_REF) {
            return context.name(t.text);
        }
        if (t.kind == Kind.IDENT) {
            return t.text;
        }
        throw syntax(t.text, t.at);
    }

    // ---- update expressions

    private UpdateExpression updateClauses() {
        List<UpdateExpression.Action> actions = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        do {
            Token clause = advance();
            String word = clause.text.toUpperCase(Locale.ROOT);
            if (clause.kind != Kind.IDENT || !List.of("SET", "REMOVE", "ADD", "DELETE").contains(word)) {
                throw syntax(clause.text, clause.at);
            }
            if (seen.contains(word)) {
                throw DynamoException.validation("Invalid UpdateExpression: The \"" + word + "\" section can only be "
                        + "used once in an update expression;");
            }
            seen.add(word);
            do {
                actions.add(updateAction(word));
            } while (acceptSymbol(","));
        } while (peek().kind != Kind.END);
        return new UpdateExpression(actions);
    }

    private UpdateExpression.Action updateAction(String clause) {
        DocumentPath path = path();
        switch (clause) {
            case "SET":
                expectSymbol("=");
                return new UpdateExpression.Action(clause, path, setValue());
            case "REMOVE":
                return new UpdateExpression.Action(clause, path, null);
            default:
                Token v = advance();
                if (v.kind != Kind.VALUE_REF) {
                    throw syntax(v.text, v.at);
                }
                return new UpdateExpression.Action(clause, path, new Operand.Value(context.value(v.text)));
        }
    }

    private Operand setValue() {
        Operand left = setOperand();
        if (peek().kind == Kind.SYMBOL && (peek().text.equals("+") || peek().text.equals("-"))) {
            operator();
            char op = advance().text.charAt(0);
            return new Operand.Arithmetic(left, op, setOperand());
        }
        return left;
    }

    private Operand setOperand() {
        Token t = peek();
        if (t.kind == Kind.IDENT && peekAt(1).text.equals("(")) {
            operator();
            advance();
            expectSymbol("(");
            Operand result;
            if (t.text.equals("if_not_exists")) {
                DocumentPath path = path();
                expectSymbol(",");
                result = new Operand.IfNotExists(path, setOperand());
            } else if (t.text.equals("list_append")) {
                Operand first = setOperand();
                expectSymbol(",");
                result = new Operand.ListAppend(first, setOperand());
            } else {
                throw DynamoException.validation("Invalid UpdateExpression: Invalid function name; function: "
                        + t.text);
            }
            expectSymbol(")");
            return result;
        }
        if (t.kind == Kind.VALUE_REF) {
            advance();
            return new Operand.Value(context.value(t.text));
        }
        return new Operand.Path(path());
    }

    // ---- limits

    /** Counts one operator or function against DynamoDB's limit of 300 per expression. */
    private void operator() {
        operators++;
        if (operators > MAX_OPERATORS) {
            throw tooManyOperators(operators);
        }
    }

    /**
     * One more level of parentheses. Past {@link #MAX_NESTING} the expression is refused, with the error DynamoDB
     * gives it where there is one (see the class comment). Operators and depth are counted on the tokens, since the
     * parse stops here; too many operators is reported, like the count made while parsing, as the 301st.
     */
    private void enterParentheses() {
        nesting++;
        if (nesting > MAX_NESTING) {
            int operatorCount = operatorTokens();
            int depth = parenthesesDepth();
            if (operatorCount > MAX_OPERATORS) {
                throw tooManyOperators(MAX_OPERATORS + 1);
            }
            if (operatorCount < depth) {
                throw invalid("The expression has redundant parentheses;");
            }
            throw invalid("The expression is nested too deeply for Millrace; nesting levels: " + depth
                    + ", at most: " + MAX_NESTING);
        }
    }

    /** The deepest nesting of parentheses in the expression. */
    private int parenthesesDepth() {
        int depth = 0;
        int deepest = 0;
        for (Token t : tokens) {
            if (t.kind == Kind.SYMBOL && t.text.equals("(")) {
                deepest = Math.max(deepest, ++depth);
            } else if (t.kind == Kind.SYMBOL && t.text.equals(")")) {
                depth--;
            }
        }
        return deepest;
    }

    /** The operators and functions of the whole expression, counted on its tokens without recursion. */
    private int operatorTokens() {
        int count = 0;
        int pendingBetween = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            String word = t.text.toUpperCase(Locale.ROOT);
            if (t.kind == Kind.SYMBOL) {
                count += List.of("=", "<>", "<", "<=", ">", ">=", "+", "-").contains(t.text) ? 1 : 0;
            } else if (t.kind == Kind.IDENT && i + 1 < tokens.size() && tokens.get(i + 1).text.equals("(")) {
                count++;
            } else if (t.kind == Kind.IDENT && word.equals("AND") && pendingBetween > 0) {
                pendingBetween--; // the AND of BETWEEN is part of that operator
            } else if (t.kind == Kind.IDENT && List.of("AND", "OR", "NOT", "IN", "BETWEEN").contains(word)) {
                count++;
                pendingBetween += word.equals("BETWEEN") ? 1 : 0;
            }
        }
        return count;
    }

    private DynamoException tooManyOperators(int count) {
        return invalid("The expression contains too many operators; operator count: " + count);
    }

    private DynamoException invalid(String reason) {
        return DynamoException.validation("Invalid " + kind + ": " + reason);
    }

    // ---- tokens

    private Token peek() {
        return tokens.get(next);
    }

    private Token peekAt(int ahead) {
        return tokens.get(Math.min(next + ahead, tokens.size() - 1));
    }

    private Token advance() {
        Token t = tokens.get(next);
        if (t.kind != Kind.END) {
            next++;
        }
        return t;
    }

    private boolean acceptSymbol(String symbol) {
        if (peek().kind == Kind.SYMBOL && peek().text.equals(symbol)) {
            next++;
            return true;
        }
        return false;
    }

    private void expectSymbol(String symbol) {
        if (!acceptSymbol(symbol)) {
            throw syntax(peek().text, peek().at);
        }
    }

    private boolean acceptKeyword(String keyword) {
        if (peek().kind == Kind.IDENT && peek().text.equalsIgnoreCase(keyword)) {
            next++;
            return true;
        }
        return false;
    }

    private void expectKeyword(String keyword) {
        if (!acceptKeyword(keyword)) {
            throw syntax(peek().text, peek().at);
        }
    }

    private void expectEnd() {
        if (peek().kind != Kind.END) {
            throw syntax(peek().text, peek().at);
        }
    }

    private DynamoException syntax(String token, int at) {
        String near = source.substring(Math.max(0, at - 10), Math.min(source.length(), at + 10));
        return DynamoException.validation("Invalid " + kind + ": Syntax error; token: \"" + token + "\", near: \""
                + near + "\"");
    }
}
