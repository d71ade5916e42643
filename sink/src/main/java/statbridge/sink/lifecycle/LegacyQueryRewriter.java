package statbridge.sink.lifecycle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.Alias;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExpressionVisitorAdapter;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.NotEqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;
import net.sf.jsqlparser.statement.select.SetOperationList;
import net.sf.jsqlparser.statement.select.WithItem;
import statbridge.catalog.CatalogEntry;

/**
 * Rewrites a query on the legacy shape into the same query on the new tables, through a real SQL
 * parser (JSqlParser): {@code model_stats_daily_legacy} (or its archive, or the rebuild view)
 * becomes {@code model_stats_daily}; a {@code metric_name} predicate becomes a
 * {@code (metric_type, metric_key)} predicate through the catalog (inlined for names written in
 * the query, a catalog subquery for parameters); {@code business_metric_value} becomes a left join
 * to {@code model_business_stats_daily}; {@code metric_name} anywhere else (the select list,
 * GROUP BY, ORDER BY) joins the catalog. Everything else is kept. What it cannot rewrite with
 * certainty it refuses, with the reason; whether a rewrite returns the same rows is for
 * {@link RewriteCheck} to show on the data.
 */
public final class LegacyQueryRewriter {

    /**
     * One query's rewrite.
     *
     * @param rewritten the query on the new tables, or null when it could not be rewritten
     * @param problem why not, or null
     * @param metrics the legacy metric names the query names, for the guide's sections
     * @param parameters how many {@code $n} parameters it has (pg_stat_statements replaces constants with them)
     */
    public record Rewrite(String original, String rewritten, String problem, Set<String> metrics, int parameters) {

        public boolean done() {
            return rewritten != null;
        }
    }

    static final Set<String> LEGACY_TABLES = Set.of("model_stats_daily_legacy", "model_stats_daily_legacy_archive",
            "model_stats_daily_legacy_rebuilt");
    /** The legacy shape's columns, in its order: what {@code *} stands for. */
    static final List<String> LEGACY_COLUMNS = List.of("model_name", "model_version", "stat_date", "slice_key", "metric_name",
            "metric_value", "business_metric_value", "updated_at");
    private static final Set<String> SAME_COLUMNS = Set.of("model_name", "model_version", "stat_date", "slice_key", "metric_value");
    /** The longest query text rewritten (pg_stat_statements keeps whole texts, IN lists of thousands included). */
    static final int MAX_LENGTH = 100_000;
    private static final Pattern PARAMETER = Pattern.compile("\\$(\\d+)");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Map<String, CatalogEntry> catalog;

    public LegacyQueryRewriter(Collection<CatalogEntry> catalog) {
        Map<String, CatalogEntry> byName = new HashMap<>();
        catalog.forEach(entry -> byName.put(entry.metricName(), entry));
        this.catalog = byName;
    }

    /** The rewrite of one query, or the reason there is none. */
    public Rewrite rewrite(String sql) {
        if (sql.length() > MAX_LENGTH) {
            return new Rewrite(sql, null, "it is longer than " + MAX_LENGTH + " characters", Set.of(), 0);
        }
        int parameters = parameters(sql);
        Statement statement;
        try {
            statement = CCJSqlParserUtil.parse(sql);
        } catch (JSQLParserException | RuntimeException e) {
            return new Rewrite(sql, null, "cannot parse it: " + firstLine(e.getMessage()), Set.of(), parameters);
        } catch (StackOverflowError e) {
            // a query nested deeper than the parser's stack: refused, like any other it cannot read
            return new Rewrite(sql, null, "it is nested too deeply to parse", Set.of(), parameters);
        }
        if (statement == null) {
            return new Rewrite(sql, null, "it holds no statement", Set.of(), parameters);
        }
        if (!(statement instanceof Select select)) {
            return new Rewrite(sql, null, "only a SELECT is rewritten, this is a " + statement.getClass().getSimpleName(),
                    Set.of(), parameters);
        }
        Job job = new Job(sql);
        try {
            job.select(select, null);
        } catch (RuntimeException e) {
            job.problems.add("cannot rewrite it: " + e);
        } catch (StackOverflowError e) {
            job.problems.add("it is nested too deeply to rewrite");
        }
        if (job.problems.isEmpty() && job.occurrences == 0) {
            job.problems.add("it does not read model_stats_daily_legacy itself (a view over it? rewrite the view)");
        }
        if (!job.problems.isEmpty()) {
            return new Rewrite(sql, null, String.join("; ", job.problems), job.metrics, parameters);
        }
        return new Rewrite(sql, select.toString(), null, job.metrics, parameters);
    }

    /** The highest {@code $n} in the text. */
    static int parameters(String sql) {
        int highest = 0;
        Matcher parameter = PARAMETER.matcher(sql);
        while (parameter.find()) {
            highest = Math.max(highest, Integer.parseInt(parameter.group(1)));
        }
        return highest;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no reason given";
        }
        String line = message.strip().lines().findFirst().orElse(message);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    private static String unquote(String sqlText) {
        return sqlText.replace("''", "'");
    }

    private static StringValue literal(String value) {
        return new StringValue(value.replace("'", "''"));
    }

    /** One place the legacy shape is read: its alias, and which new tables it needs. */
    private static final class Occurrence {
        final Table table;
        final String originalName;
        final String alias;
        final String businessAlias;
        final String catalogAlias;
        final boolean nullable;
        boolean business;
        boolean names;

        Occurrence(Table table, String alias, String businessAlias, String catalogAlias, boolean nullable) {
            this.table = table;
            this.originalName = table.getName().toLowerCase(Locale.ROOT);
            this.alias = alias;
            this.businessAlias = businessAlias;
            this.catalogAlias = catalogAlias;
            this.nullable = nullable;
        }

        Column column(String name) {
            return new Column(new Table(alias), name);
        }
    }

    /** The legacy occurrences of one SELECT, and the SELECT around it. */
    private record Scope(Scope outer, Map<String, Occurrence> byName, List<Occurrence> occurrences, boolean otherTables) {
    }

    private final class Job {
        final List<String> problems = new ArrayList<>();
        final Set<String> metrics = new TreeSet<>();
        final Set<String> words = new HashSet<>();
        int occurrences;

        Job(String sql) {
            Matcher word = WORD.matcher(sql);
            while (word.find()) {
                words.add(word.group().toLowerCase(Locale.ROOT));
            }
        }

        String fresh(String base) {
            String name = base;
            for (int i = 2; words.contains(name); i++) {
                name = base + i;
            }
            words.add(name);
            return name;
        }

        void select(Select select, Scope outer) {
            if (select.getWithItemsList() != null) {
                for (WithItem<?> with : select.getWithItemsList()) {
                    select(with.getSelect(), outer);
                }
            }
            if (select instanceof PlainSelect plain) {
                plain(plain, outer);
            } else if (select instanceof SetOperationList union) {
                union.getSelects().forEach(part -> select(part, outer));
                orderBy(union.getOrderByElements(), new Expressions(new Scope(outer, Map.of(), List.of(), true)));
            } else if (select instanceof ParenthesedSelect parenthesed) {
                select(parenthesed.getSelect(), outer);
            } else {
                problems.add("a " + select.getClass().getSimpleName() + " is not rewritten");
            }
        }

        void plain(PlainSelect plain, Scope outer) {
            List<Join> joins = plain.getJoins() == null ? new ArrayList<>() : new ArrayList<>(plain.getJoins());
            boolean rightOrFull = joins.stream().anyMatch(j -> j.isRight() || j.isFull());
            Map<String, Occurrence> byName = new HashMap<>();
            List<Occurrence> found = new ArrayList<>();
            List<Integer> positions = new ArrayList<>();
            boolean others = false;
            for (int i = -1; i < joins.size(); i++) {
                FromItem item = i < 0 ? plain.getFromItem() : joins.get(i).getRightItem();
                if (item == null) {
                    continue;
                }
                if (item instanceof Table table && LEGACY_TABLES.contains(table.getName().toLowerCase(Locale.ROOT))) {
                    boolean nullable = i < 0 ? rightOrFull : joins.get(i).isLeft() || joins.get(i).isFull() || rightOrFull;
                    String alias = table.getAlias() != null ? table.getAlias().getName() : fresh("s");
                    Occurrence occurrence = new Occurrence(table, alias, fresh("b"), fresh("c"), nullable);
                    byName.put(alias.toLowerCase(Locale.ROOT), occurrence);
                    if (table.getAlias() == null) {
                        byName.put(occurrence.originalName, occurrence);
                    }
                    found.add(occurrence);
                    positions.add(i);
                    occurrences++;
                } else if (item instanceof ParenthesedSelect derived) {
                    others = true;
                    select(derived.getSelect(), outer);
                } else if (item instanceof Table) {
                    others = true;
                } else {
                    others = true;
                    if (item.toString().toLowerCase(Locale.ROOT).contains("model_stats_daily_legacy")) {
                        problems.add("the legacy table is read inside a " + item.getClass().getSimpleName() + ", which is not rewritten");
                    }
                }
            }
            Scope scope = new Scope(outer, byName, found, others);
            Expressions expressions = new Expressions(scope);
            selectItems(plain, scope, expressions);
            for (Join join : joins) {
                if (join.getOnExpressions() != null) {
                    join.getOnExpressions().forEach(on -> on.accept(expressions, null));
                }
                if (join.getUsingColumns() != null && !join.getUsingColumns().isEmpty() && !found.isEmpty()) {
                    problems.add("JOIN ... USING is not rewritten: write the join condition with ON");
                }
            }
            if (plain.getWhere() != null) {
                plain.getWhere().accept(expressions, null);
            }
            if (plain.getGroupBy() != null && plain.getGroupBy().getGroupByExpressionList() != null) {
                for (Object grouped : plain.getGroupBy().getGroupByExpressionList()) {
                    ((Expression) grouped).accept(expressions, null);
                }
            }
            if (plain.getHaving() != null) {
                plain.getHaving().accept(expressions, null);
            }
            orderBy(plain.getOrderByElements(), expressions);
            // The new tables in place of the legacy one, each join right after the table it serves.
            for (int k = found.size() - 1; k >= 0; k--) {
                Occurrence occurrence = found.get(k);
                occurrence.table.setSchemaName("ml_monitoring");
                occurrence.table.setName("model_stats_daily");
                occurrence.table.setAlias(new Alias(occurrence.alias, false));
                List<Join> added = new ArrayList<>();
                if (occurrence.names) {
                    added.add(join(occurrence.nullable, "ml_monitoring.metric_catalog", occurrence.catalogAlias,
                            occurrence.catalogAlias + ".metric_type = " + occurrence.alias + ".metric_type AND "
                                    + occurrence.catalogAlias + ".metric_key = " + occurrence.alias + ".metric_key"));
                }
                if (occurrence.business) {
                    String b = occurrence.businessAlias;
                    String s = occurrence.alias;
                    added.add(join(true, "ml_monitoring.model_business_stats_daily", b, b + ".model_name = " + s + ".model_name AND "
                            + b + ".model_version = " + s + ".model_version AND " + b + ".stat_date = " + s + ".stat_date AND "
                            + b + ".slice_key = " + s + ".slice_key AND " + b + ".metric_type = " + s + ".metric_type AND "
                            + b + ".metric_key = " + s + ".metric_key"));
                }
                joins.addAll(positions.get(k) + 1, added);
            }
            if (!joins.isEmpty()) {
                plain.setJoins(joins);
            }
        }

        void orderBy(List<OrderByElement> elements, Expressions expressions) {
            if (elements != null) {
                elements.forEach(element -> element.getExpression().accept(expressions, null));
            }
        }

        Join join(boolean left, String table, String alias, String on) {
            Join join = new Join();
            if (left) {
                join.setLeft(true);
            } else {
                join.setInner(true);
            }
            String[] parts = table.split("\\.");
            join.setRightItem(new Table(parts[0], parts[1]).withAlias(new Alias(alias, false)));
            try {
                join.addOnExpression(CCJSqlParserUtil.parseCondExpression(on));
            } catch (JSQLParserException e) {
                throw new IllegalStateException("a join statbridge wrote does not parse: " + on, e);
            }
            return join;
        }

        /** {@code *}, {@code l.*} and {@code updated_at} in the select list; the rest goes through {@link Expressions}. */
        void selectItems(PlainSelect plain, Scope scope, Expressions expressions) {
            List<SelectItem<?>> items = new ArrayList<>();
            for (SelectItem<?> item : plain.getSelectItems()) {
                Expression expression = item.getExpression();
                Occurrence whole = null;
                if (expression instanceof AllTableColumns tableColumns) {
                    whole = scope.byName().get(tableColumns.getTable().getName().toLowerCase(Locale.ROOT));
                } else if (expression instanceof AllColumns && !scope.occurrences().isEmpty()) {
                    if (scope.otherTables() || scope.occurrences().size() > 1) {
                        problems.add("SELECT * over a join is not rewritten: name the columns");
                        items.add(item);
                        continue;
                    }
                    whole = scope.occurrences().get(0);
                }
                if (whole != null) {
                    for (String column : LEGACY_COLUMNS) {
                        items.add(legacyColumn(whole, column, column));
                    }
                    continue;
                }
                if (expression instanceof Column column && "updated_at".equalsIgnoreCase(column.getColumnName())) {
                    Occurrence occurrence = expressions.resolve(column);
                    if (occurrence != null) {
                        items.add(legacyColumn(occurrence, "updated_at", item.getAlias() == null ? "updated_at" : item.getAliasName()));
                        continue;
                    }
                }
                expression.accept(expressions, null);
                items.add(item);
            }
            plain.setSelectItems(items);
        }

        SelectItem<?> legacyColumn(Occurrence occurrence, String column, String as) {
            String expression = switch (column) {
                case "metric_name" -> {
                    occurrence.names = true;
                    yield occurrence.catalogAlias + ".metric_name";
                }
                case "business_metric_value" -> {
                    occurrence.business = true;
                    yield occurrence.businessAlias + ".business_metric_value";
                }
                case "updated_at" -> {
                    occurrence.business = true;
                    yield "GREATEST(" + occurrence.alias + ".updated_at, " + occurrence.businessAlias + ".updated_at)";
                }
                default -> occurrence.alias + "." + column;
            };
            try {
                SelectItem<Expression> item = new SelectItem<>(CCJSqlParserUtil.parseExpression(expression));
                if (!expression.endsWith("." + as)) {
                    item.setAlias(new Alias(as, true));
                }
                return item;
            } catch (JSQLParserException e) {
                throw new IllegalStateException("a column statbridge wrote does not parse: " + expression, e);
            }
        }

        /** Walks expressions, moving legacy columns and predicates onto the new tables in place. */
        private final class Expressions extends ExpressionVisitorAdapter<Void> {
            private final Scope scope;

            Expressions(Scope scope) {
                this.scope = scope;
            }

            /** The legacy occurrence a column belongs to, or null. */
            Occurrence resolve(Column column) {
                Table qualifier = column.getTable();
                String name = column.getColumnName().toLowerCase(Locale.ROOT);
                if (qualifier != null && qualifier.getName() != null) {
                    String table = qualifier.getName().toLowerCase(Locale.ROOT);
                    for (Scope s = scope; s != null; s = s.outer()) {
                        if (s.byName().containsKey(table)) {
                            return s.byName().get(table);
                        }
                    }
                    return null;
                }
                if (!LEGACY_COLUMNS.contains(name)) {
                    return null;
                }
                for (Scope s = scope; s != null; s = s.outer()) {
                    if (s.occurrences().size() == 1) {
                        return s.occurrences().get(0);
                    }
                    if (s.occurrences().size() > 1) {
                        problems.add("column " + name + " is ambiguous between the legacy tables: qualify it");
                        return null;
                    }
                    if (s.otherTables()) {
                        return null;
                    }
                }
                return null;
            }

            private Occurrence metricName(Expression expression) {
                if (expression instanceof Column column && "metric_name".equalsIgnoreCase(column.getColumnName())) {
                    return resolve(column);
                }
                return null;
            }

            private ParenthesedExpressionList<Column> typeAndKey(Occurrence occurrence) {
                return new ParenthesedExpressionList<>(occurrence.column("metric_type"), occurrence.column("metric_key"));
            }

            private CatalogEntry known(StringValue name) {
                String metric = unquote(name.getValue());
                CatalogEntry entry = catalog.get(metric);
                if (entry == null) {
                    problems.add("metric '" + metric + "' is not in the catalog");
                } else {
                    metrics.add(metric);
                }
                return entry;
            }

            private ParenthesedExpressionList<StringValue> row(CatalogEntry entry) {
                return new ParenthesedExpressionList<>(literal(entry.metricType().name()), literal(entry.metricKey()));
            }

            private ParenthesedSelect throughCatalog(String condition) {
                try {
                    Select select = (Select) CCJSqlParserUtil.parse("SELECT mc.metric_type, mc.metric_key FROM ml_monitoring.metric_catalog mc WHERE "
                            + condition);
                    return new ParenthesedSelect().withSelect(select);
                } catch (JSQLParserException e) {
                    throw new IllegalStateException("cannot read the metric names of: " + condition, e);
                }
            }

            @Override
            public <S> Void visit(EqualsTo equals, S context) {
                Occurrence left = metricName(equals.getLeftExpression());
                Occurrence right = metricName(equals.getRightExpression());
                if (left == null && right == null) {
                    return super.visit(equals, context);
                }
                Occurrence occurrence = left != null ? left : right;
                Expression other = left != null ? equals.getRightExpression() : equals.getLeftExpression();
                if (metricName(other) != null) {
                    return super.visit(equals, context);
                }
                other.accept(this, context);
                equals.setLeftExpression(typeAndKey(occurrence));
                if (other instanceof StringValue name) {
                    CatalogEntry entry = known(name);
                    if (entry != null) {
                        equals.setRightExpression(row(entry));
                    }
                } else {
                    equals.setRightExpression(throughCatalog("mc.metric_name = " + other));
                }
                return null;
            }

            @Override
            public <S> Void visit(NotEqualsTo notEquals, S context) {
                Occurrence left = metricName(notEquals.getLeftExpression());
                Occurrence right = metricName(notEquals.getRightExpression());
                Expression other = left != null ? notEquals.getRightExpression() : notEquals.getLeftExpression();
                if ((left == null && right == null) || !(other instanceof StringValue name)) {
                    return super.visit(notEquals, context);
                }
                CatalogEntry entry = known(name);
                if (entry != null) {
                    notEquals.setLeftExpression(typeAndKey(left != null ? left : right));
                    notEquals.setRightExpression(row(entry));
                }
                return null;
            }

            @Override
            public <S> Void visit(InExpression in, S context) {
                Occurrence occurrence = metricName(in.getLeftExpression());
                if (occurrence == null) {
                    return super.visit(in, context);
                }
                Expression values = in.getRightExpression();
                values.accept(this, context);
                in.setLeftExpression(typeAndKey(occurrence));
                if (values instanceof ExpressionList<?> list && list.stream().allMatch(StringValue.class::isInstance)) {
                    List<ParenthesedExpressionList<StringValue>> rows = new ArrayList<>();
                    for (Object value : list) {
                        CatalogEntry entry = known((StringValue) value);
                        if (entry != null) {
                            rows.add(row(entry));
                        }
                    }
                    in.setRightExpression(new ParenthesedExpressionList<>(rows));
                } else {
                    String inner = values instanceof ParenthesedSelect || values instanceof ParenthesedExpressionList<?>
                            ? values.toString() : "(" + values + ")";
                    in.setRightExpression(throughCatalog("mc.metric_name IN " + inner));
                }
                return null;
            }

            @Override
            public <S> Void visit(Column column, S context) {
                Occurrence occurrence = resolve(column);
                if (occurrence == null) {
                    return null;
                }
                String name = column.getColumnName().toLowerCase(Locale.ROOT);
                if (SAME_COLUMNS.contains(name)) {
                    column.setTable(new Table(occurrence.alias));
                } else if (name.equals("business_metric_value")) {
                    occurrence.business = true;
                    column.setTable(new Table(occurrence.businessAlias));
                } else if (name.equals("metric_name")) {
                    occurrence.names = true;
                    column.setTable(new Table(occurrence.catalogAlias));
                } else if (name.equals("updated_at")) {
                    problems.add("updated_at is rewritten only in the select list");
                }
                return null;
            }

            @Override
            public <S> Void visit(ParenthesedSelect select, S context) {
                Job.this.select(select.getSelect(), scope);
                return null;
            }

            @Override
            public <S> Void visit(Select select, S context) {
                Job.this.select(select, scope);
                return null;
            }
        }
    }
}
