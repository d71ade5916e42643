package statbridge.tools.lifecycle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.Alias;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
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
 * One query's rewrite under way: the legacy tables of each SELECT replaced by
 * {@code model_stats_daily} with the joins they turn out to need, {@code *} and
 * {@code updated_at} in the select list, and what could not be rewritten. The expressions are
 * {@link LegacyExpressions}' part.
 */
final class RewriteJob {

    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    final Map<String, CatalogEntry> catalog;
    final List<String> problems = new ArrayList<>();
    final Set<String> metrics = new TreeSet<>();
    /** What each {@code $n} is compared with, for {@link ParameterProbes}. */
    final Map<Integer, ParameterRole> roles = new TreeMap<>();
    private final Set<String> words = new HashSet<>();
    int occurrences;

    RewriteJob(String sql, Map<String, CatalogEntry> catalog) {
        this.catalog = catalog;
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
            orderBy(union.getOrderByElements(), new LegacyExpressions(this, new Scope(outer, Map.of(), List.of(), true)));
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
            if (item instanceof Table table && LegacyShape.TABLES.contains(table.getName().toLowerCase(Locale.ROOT))) {
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
        LegacyExpressions expressions = new LegacyExpressions(this, scope);
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
        if (plain.getLimit() != null && plain.getLimit().getRowCount() instanceof JdbcParameter limit && limit.getIndex() != null) {
            roles.putIfAbsent(limit.getIndex(), new ParameterRole(null, ParameterRole.Kind.LIMIT, 0));
        }
        if (plain.getOffset() != null && plain.getOffset().getOffset() instanceof JdbcParameter skip && skip.getIndex() != null) {
            roles.putIfAbsent(skip.getIndex(), new ParameterRole(null, ParameterRole.Kind.OFFSET, 0));
        }
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

    void orderBy(List<OrderByElement> elements, LegacyExpressions expressions) {
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
    void selectItems(PlainSelect plain, Scope scope, LegacyExpressions expressions) {
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
                for (String column : LegacyShape.COLUMNS) {
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

    static final class Occurrence {
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
        record Scope(Scope outer, Map<String, Occurrence> byName, List<Occurrence> occurrences, boolean otherTables) {
        }
}
