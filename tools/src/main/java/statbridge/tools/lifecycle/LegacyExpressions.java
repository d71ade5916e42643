package statbridge.tools.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExpressionVisitorAdapter;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.operators.relational.Between;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.GreaterThan;
import net.sf.jsqlparser.expression.operators.relational.GreaterThanEquals;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.MinorThan;
import net.sf.jsqlparser.expression.operators.relational.MinorThanEquals;
import net.sf.jsqlparser.expression.operators.relational.NotEqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.Select;
import statbridge.catalog.CatalogEntry;

/**
 * Walks one SELECT's expressions and moves them onto the new tables in place: a column of the
 * legacy table is qualified with the table that now holds it, a {@code metric_name} predicate
 * becomes a {@code (metric_type, metric_key)} predicate through the catalog, and a subquery is
 * rewritten in a scope of its own. It also notes what each {@code $n} is compared with.
 */
final class LegacyExpressions extends ExpressionVisitorAdapter<Void> {

    private final RewriteJob job;
    private final RewriteJob.Scope scope;

    LegacyExpressions(RewriteJob job, RewriteJob.Scope scope) {
        this.job = job;
        this.scope = scope;
    }

    /** The legacy occurrence a column belongs to, or null. */
    RewriteJob.Occurrence resolve(Column column) {
        Table qualifier = column.getTable();
        String name = column.getColumnName().toLowerCase(Locale.ROOT);
        if (qualifier != null && qualifier.getName() != null) {
            String table = qualifier.getName().toLowerCase(Locale.ROOT);
            for (RewriteJob.Scope s = scope; s != null; s = s.outer()) {
                if (s.byName().containsKey(table)) {
                    return s.byName().get(table);
                }
            }
            return null;
        }
        if (!LegacyShape.COLUMNS.contains(name)) {
            return null;
        }
        for (RewriteJob.Scope s = scope; s != null; s = s.outer()) {
            if (s.occurrences().size() == 1) {
                return s.occurrences().get(0);
            }
            if (s.occurrences().size() > 1) {
                job.problems.add("column " + name + " is ambiguous between the legacy tables: qualify it");
                return null;
            }
            if (s.otherTables()) {
                return null;
            }
        }
        return null;
    }

    private RewriteJob.Occurrence metricName(Expression expression) {
        if (expression instanceof Column column && "metric_name".equalsIgnoreCase(column.getColumnName())) {
            return resolve(column);
        }
        return null;
    }

    private ParenthesedExpressionList<Column> typeAndKey(RewriteJob.Occurrence occurrence) {
        return new ParenthesedExpressionList<>(occurrence.column("metric_type"), occurrence.column("metric_key"));
    }

    private CatalogEntry known(StringValue name) {
        String metric = unquote(name.getValue());
        CatalogEntry entry = job.catalog.get(metric);
        if (entry == null) {
            job.problems.add("metric '" + metric + "' is not in the catalog");
        } else {
            job.metrics.add(metric);
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
        role(equals.getLeftExpression(), equals.getRightExpression(), ParameterRole.Kind.EQUAL, 0);
        role(equals.getRightExpression(), equals.getLeftExpression(), ParameterRole.Kind.EQUAL, 0);
        RewriteJob.Occurrence left = metricName(equals.getLeftExpression());
        RewriteJob.Occurrence right = metricName(equals.getRightExpression());
        if (left == null && right == null) {
            return super.visit(equals, context);
        }
        RewriteJob.Occurrence occurrence = left != null ? left : right;
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
        role(notEquals.getLeftExpression(), notEquals.getRightExpression(), ParameterRole.Kind.EQUAL, 0);
        role(notEquals.getRightExpression(), notEquals.getLeftExpression(), ParameterRole.Kind.EQUAL, 0);
        RewriteJob.Occurrence left = metricName(notEquals.getLeftExpression());
        RewriteJob.Occurrence right = metricName(notEquals.getRightExpression());
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
        if (in.getRightExpression() instanceof ExpressionList<?> list) {
            int rank = 0;
            for (Object value : list) {
                role(in.getLeftExpression(), (Expression) value, ParameterRole.Kind.EQUAL, rank++);
            }
        }
        RewriteJob.Occurrence occurrence = metricName(in.getLeftExpression());
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
        RewriteJob.Occurrence occurrence = resolve(column);
        if (occurrence == null) {
            return null;
        }
        String name = column.getColumnName().toLowerCase(Locale.ROOT);
        if (LegacyShape.SAME_COLUMNS.contains(name)) {
            column.setTable(new Table(occurrence.alias));
        } else if (name.equals("business_metric_value")) {
            occurrence.business = true;
            column.setTable(new Table(occurrence.businessAlias));
        } else if (name.equals("metric_name")) {
            occurrence.names = true;
            column.setTable(new Table(occurrence.catalogAlias));
        } else if (name.equals("updated_at")) {
            job.problems.add("updated_at is rewritten only in the select list");
        }
        return null;
    }

    @Override
    public <S> Void visit(ParenthesedSelect select, S context) {
        job.select(select.getSelect(), scope);
        return null;
    }

    @Override
    public <S> Void visit(Select select, S context) {
        job.select(select, scope);
        return null;
    }

    private static String unquote(String sqlText) {
        return sqlText.replace("''", "'");
    }

    private static StringValue literal(String value) {
        return new StringValue(value.replace("'", "''"));
    }

    /** Notes what a {@code $n} compared with a legacy column stands for. */
    private void role(Expression columnSide, Expression valueSide, ParameterRole.Kind kind, int rank) {
        if (valueSide instanceof JdbcParameter parameter && parameter.getIndex() != null && columnSide instanceof Column column
                && resolve(column) != null) {
            job.roles.putIfAbsent(parameter.getIndex(), new ParameterRole(column.getColumnName().toLowerCase(Locale.ROOT), kind, rank));
        }
    }

    /** A comparison {@code left OP right}: a parameter on the right is a {@code rightSide} bound, one on the left the other bound. */
    private void comparison(Expression left, Expression right, ParameterRole.Kind rightSide) {
        ParameterRole.Kind leftSide = rightSide == ParameterRole.Kind.LOWER ? ParameterRole.Kind.UPPER : ParameterRole.Kind.LOWER;
        role(left, right, rightSide, 0);
        role(right, left, leftSide, 0);
    }

    @Override
    public <S> Void visit(GreaterThan greater, S context) {
        comparison(greater.getLeftExpression(), greater.getRightExpression(), ParameterRole.Kind.LOWER);
        return super.visit(greater, context);
    }

    @Override
    public <S> Void visit(GreaterThanEquals greater, S context) {
        comparison(greater.getLeftExpression(), greater.getRightExpression(), ParameterRole.Kind.LOWER);
        return super.visit(greater, context);
    }

    @Override
    public <S> Void visit(MinorThan minor, S context) {
        comparison(minor.getLeftExpression(), minor.getRightExpression(), ParameterRole.Kind.UPPER);
        return super.visit(minor, context);
    }

    @Override
    public <S> Void visit(MinorThanEquals minor, S context) {
        comparison(minor.getLeftExpression(), minor.getRightExpression(), ParameterRole.Kind.UPPER);
        return super.visit(minor, context);
    }

    @Override
    public <S> Void visit(Between between, S context) {
        role(between.getLeftExpression(), between.getBetweenExpressionStart(), ParameterRole.Kind.LOWER, 0);
        role(between.getLeftExpression(), between.getBetweenExpressionEnd(), ParameterRole.Kind.UPPER, 0);
        return super.visit(between, context);
    }
}
