//! The one place where the core's filters, sorts and keyset cursors become SQL, for both databases.

use crate::exec::Backend;
use crate::tables::{Groups, Users};
use roster_core::claims;
use roster_core::filter::{CmpOp, Cond, Filter, Target, Value};
use roster_core::model::{Deleted, Depth, MemberRef, PrincipalKind};
use roster_core::page::ListQuery;
use roster_core::schema::{Attr, AttrType, Resource};
use sea_query::{Alias, Asterisk, Expr, Func, LikeExpr, Order, Query, SelectStatement, SimpleExpr, UnionType};
use uuid::Uuid;

/// The column an attribute lives in (core attribute names are column names but for the times).
fn column_name(attr: &Attr) -> &'static str {
    match attr.name {
        "created" => "created_at",
        "modified" => "modified_at",
        "deleted" => "deleted_at",
        name => name,
    }
}

/// The expression a filter or sort compares for an attribute. Case-insensitive attributes compare
/// their lower-cased key column where one is kept (so uniqueness indexes serve the lookups).
fn attr_expr(resource: Resource, attr: &Attr) -> SimpleExpr {
    let col = |name: &'static str| Expr::col(Alias::new(name)).into();
    if attr.ty != AttrType::CaseInsensitive {
        return col(column_name(attr));
    }
    match (resource, attr.name) {
        (Resource::User, "user_name") => col("user_name_key"),
        (Resource::User, "email") => col("email_key"),
        (Resource::Group | Resource::Principal, "name") => col("name_key"),
        (_, name) => Func::lower(Expr::col(Alias::new(name))).into(),
    }
}

/// The expression a listing orders by: nullable attributes sort as empty text, so keyset
/// comparisons never meet NULL.
fn sort_expr(resource: Resource, attr: &Attr) -> SimpleExpr {
    let e = attr_expr(resource, attr);
    if attr.nullable {
        Func::coalesce([e, Expr::val("").into()]).into()
    } else {
        e
    }
}

fn sql_value(v: &Value) -> sea_query::Value {
    match v {
        Value::Text(s) | Value::Folded(s) => s.as_str().into(),
        Value::Bool(b) => (*b).into(),
        Value::Int(n) => (*n).into(),
        Value::Time(t) => t.timestamp_millis().into(),
        Value::Uuid(u) => (*u).into(),
        Value::Json(j) => match j {
            serde_json::Value::String(s) => s.as_str().into(),
            serde_json::Value::Number(n) => {
                n.as_i64().map(sea_query::Value::from).unwrap_or_else(|| n.as_f64().unwrap_or_default().into())
            }
            serde_json::Value::Bool(b) => (*b).into(),
            other => other.to_string().into(),
        },
    }
}

/// A LIKE pattern matching `text` literally, with `%` and `_` escaped by `\`.
fn like_pattern(op: CmpOp, text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    match op {
        CmpOp::Sw => format!("{escaped}%"),
        CmpOp::Ew => format!("%{escaped}"),
        _ => format!("%{escaped}%"),
    }
}

/// A comparison without regard to case, as a template whose `{x}` is the text compared and whose
/// `?` is the value answered beside it. SQLite's `lower()` folds only ASCII, so there equality and
/// the substring operators are Unicode-aware case-insensitive regular expressions; PostgreSQL
/// lowers both sides by the database's locale (Roster's columns sort by "C", which lowers only
/// ASCII).
fn caseless(op: CmpOp, text: &str, backend: Backend) -> (&'static str, sea_query::Value) {
    let sym = match op {
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        _ => "=",
    };
    match (backend, op) {
        (Backend::Sqlite, CmpOp::Eq | CmpOp::Ne | CmpOp::Co | CmpOp::Sw | CmpOp::Ew) => {
            let escaped = regex::escape(text);
            let pattern = match op {
                CmpOp::Co => format!("(?i){escaped}"),
                CmpOp::Sw => format!("(?i)^{escaped}"),
                CmpOp::Ew => format!("(?i){escaped}$"),
                _ => format!("(?i)^{escaped}$"),
            };
            ("{x} REGEXP ?", pattern.into())
        }
        (Backend::Sqlite, _) => (ordering_template(sym, false), text.to_lowercase().into()),
        (Backend::Postgres, CmpOp::Co | CmpOp::Sw | CmpOp::Ew) => {
            ("lower({x} COLLATE \"default\") LIKE lower(?) ESCAPE '\\'", like_pattern(op, text).into())
        }
        (Backend::Postgres, _) => (ordering_template(sym, true), text.into()),
    }
}

fn ordering_template(sym: &str, lower_value: bool) -> &'static str {
    match (sym, lower_value) {
        (">", false) => "lower({x}) > ?",
        (">=", false) => "lower({x}) >= ?",
        ("<", false) => "lower({x}) < ?",
        ("<=", false) => "lower({x}) <= ?",
        ("=", false) => "lower({x}) = ?",
        (">", true) => "lower({x} COLLATE \"default\") > lower(?)",
        (">=", true) => "lower({x} COLLATE \"default\") >= lower(?)",
        ("<", true) => "lower({x} COLLATE \"default\") < lower(?)",
        ("<=", true) => "lower({x} COLLATE \"default\") <= lower(?)",
        _ => "lower({x} COLLATE \"default\") = lower(?)",
    }
}

fn compare(e: SimpleExpr, op: CmpOp, v: &Value, backend: Backend) -> SimpleExpr {
    if let Value::Folded(text) = v {
        if op == CmpOp::Ne {
            return compare(e, CmpOp::Eq, v, backend).not();
        }
        let (template, value) = caseless(op, text, backend);
        return backend.fragment_exprs(&template.replace("{x}", "?"), vec![e, Expr::val(value).into()]);
    }
    let ex = Expr::expr(e);
    let val = sql_value(v);
    match op {
        CmpOp::Eq => ex.eq(val),
        CmpOp::Ne => ex.ne(val),
        CmpOp::Gt => ex.gt(val),
        CmpOp::Ge => ex.gte(val),
        CmpOp::Lt => ex.lt(val),
        CmpOp::Le => ex.lte(val),
        CmpOp::Co | CmpOp::Sw | CmpOp::Ew => {
            let text = match v {
                Value::Text(s) | Value::Folded(s) => s.as_str(),
                Value::Json(serde_json::Value::String(s)) => s.as_str(),
                _ => "",
            };
            ex.like(LikeExpr::new(like_pattern(op, text)).escape('\\'))
        }
    }
}

/// Compiles a filter into a two-valued SQL condition: a test on a NULL attribute is false,
/// so `not` means exactly "does not match".
pub fn filter_expr(f: &Filter, resource: Resource, backend: Backend, tenant: Uuid) -> SimpleExpr {
    match f {
        Filter::And(parts) => fold(parts, resource, backend, tenant, true, SimpleExpr::and),
        Filter::Or(parts) => fold(parts, resource, backend, tenant, false, SimpleExpr::or),
        Filter::Not(inner) => filter_expr(inner, resource, backend, tenant).not(),
        Filter::Test { target: Target::Claim(path), cond } => claim_test(path, cond, backend, tenant),
        Filter::Any { array, element } => any_element(array, element, backend),
        Filter::MemberOf(groups) => {
            let mut of = Query::select();
            of.column(Groups::Id)
                .from(Groups::Table)
                .and_where(Expr::col(Groups::TenantId).eq(tenant))
                .and_where(Expr::col(Groups::DeletedAt).is_null())
                .and_where(filter_expr(groups, Resource::Group, backend, tenant));
            related(of, [("group_users", "group_id", "user_id"), ("group_groups", "parent_id", "child_id")])
        }
        Filter::HasMember(members) => {
            let mut of = Query::select();
            of.column(Alias::new("id"))
                .from_subquery(principals(tenant), Alias::new("m"))
                .and_where(Expr::col(Alias::new("deleted_at")).is_null())
                .and_where(filter_expr(members, Resource::Principal, backend, tenant));
            related(of, [("group_users", "user_id", "group_id"), ("group_groups", "child_id", "parent_id")])
        }
        Filter::Test { target: Target::Attr(attr), cond } => {
            let e = attr_expr(resource, attr);
            let test = match cond {
                Cond::Present => return Expr::expr(e).is_not_null(),
                Cond::IsObject => return Expr::val(false).into(),
                Cond::Cmp(CmpOp::Ne, v) => {
                    // ne is "not eq": a NULL attribute is not equal to anything.
                    let eq = compare(e.clone(), CmpOp::Eq, v, backend);
                    return if attr.nullable { Expr::expr(e).is_null().or(eq.not()) } else { eq.not() };
                }
                Cond::Cmp(op, v) => compare(e.clone(), *op, v, backend),
                Cond::In(values) if values.iter().any(|v| matches!(v, Value::Folded(_))) => {
                    let mut it = values.iter().map(|v| compare(e.clone(), CmpOp::Eq, v, backend));
                    let first = it.next().unwrap_or_else(|| Expr::val(false).into());
                    it.fold(first, SimpleExpr::or)
                }
                Cond::In(values) => Expr::expr(e.clone()).is_in(values.iter().map(sql_value)),
            };
            if attr.nullable {
                Expr::expr(e).is_not_null().and(test)
            } else {
                test
            }
        }
    }
}

fn fold(
    parts: &[Filter],
    resource: Resource,
    backend: Backend,
    tenant: Uuid,
    empty: bool,
    join: fn(SimpleExpr, SimpleExpr) -> SimpleExpr,
) -> SimpleExpr {
    // An empty conjunction holds; an empty disjunction (`Filter::nothing`) does not.
    let mut it = parts.iter().map(|p| filter_expr(p, resource, backend, tenant));
    let first = it.next().unwrap_or_else(|| Expr::val(empty).into());
    it.fold(first, join)
}

/// Expands a claims template: `@` stands for the path location (bound as values), `?` for the
/// next of `extra`.
fn claim_fragment(
    backend: Backend,
    template: &str,
    loc: &[sea_query::Value],
    extra: Vec<sea_query::Value>,
) -> SimpleExpr {
    let mut sql = String::with_capacity(template.len() + 16);
    let mut values = Vec::new();
    let mut extra = extra.into_iter();
    for c in template.chars() {
        match c {
            '@' => {
                sql.push_str(&vec!["?"; loc.len()].join(", "));
                values.extend(loc.iter().cloned());
            }
            '?' => {
                sql.push('?');
                values.extend(extra.next());
            }
            c => sql.push(c),
        }
    }
    backend.fragment(&sql, values)
}

/// `id IN (...)`: the tenant's users whose claims index holds one of `keys`. It only narrows:
/// the test on the claims themselves stays beside it.
fn claim_index(tenant: Uuid, keys: Vec<sea_query::Value>, backend: Backend) -> SimpleExpr {
    let marks = vec!["?"; keys.len()].join(", ");
    let mut values = vec![tenant.into()];
    values.extend(keys);
    backend.fragment(
        &format!("(id IN (SELECT user_id FROM user_claims WHERE tenant_id = ? AND claim_key IN ({marks})))"),
        values,
    )
}

/// The distinct claims-index keys of the claims equality tests among a conjunction's parts.
fn claim_equalities(parts: &[Filter]) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = parts
        .iter()
        .filter_map(|p| match p {
            Filter::Test { target: Target::Claim(path), cond: Cond::Cmp(CmpOp::Eq, v) } => match v {
                Value::Json(j) => Some(claims::key(path, j).to_vec()),
                Value::Folded(s) => Some(claims::key(path, &serde_json::Value::String(s.clone())).to_vec()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The claims-index keys every match of a filter holds (its top-level claims equalities).
pub fn required_claim_keys(f: &Filter) -> Vec<Vec<u8>> {
    match f {
        Filter::And(parts) => claim_equalities(parts),
        single => claim_equalities(std::slice::from_ref(single)),
    }
}

/// How many of a tenant's users hold a claims-index key, counting no further than `cap`.
pub fn claim_holders(tenant: Uuid, key: Vec<u8>, cap: u64) -> SelectStatement {
    let holders = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("user_claims"))
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant))
        .and_where(Expr::col(Alias::new("claim_key")).eq(key))
        .limit(cap)
        .to_owned();
    Query::select()
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .from_subquery(holders, Alias::new("h"))
        .to_owned()
}

fn claim_key(path: &[String], v: &Value) -> sea_query::Value {
    match v {
        Value::Json(j) => claims::key(path, j).to_vec().into(),
        // String keys are those of the lower case: they serve comparisons ignoring case too.
        Value::Folded(s) => claims::key(path, &serde_json::Value::String(s.clone())).to_vec().into(),
        // Only JSON values are compared with claims; no key matches anything else.
        _ => Vec::<u8>::new().into(),
    }
}

/// A test on a path inside the claims object. Values compare with their JSON type: the string
/// "1" does not equal the number 1, and a missing path matches nothing but `ne` and `not`.
/// Equality tests are answered from the claims index first.
fn claim_test(path: &[String], cond: &Cond, backend: Backend, tenant: Uuid) -> SimpleExpr {
    match cond {
        Cond::Cmp(CmpOp::Eq, v) => {
            claim_index(tenant, vec![claim_key(path, v)], backend).and(claim_value_test(path, cond, backend, CLAIMS))
        }
        Cond::Cmp(CmpOp::Ne, v) => claim_test(path, &Cond::Cmp(CmpOp::Eq, v.clone()), backend, tenant).not(),
        Cond::In(values) => claim_index(tenant, values.iter().map(|v| claim_key(path, v)).collect(), backend)
            .and(claim_value_test(path, cond, backend, CLAIMS)),
        _ => claim_value_test(path, cond, backend, CLAIMS),
    }
}

/// `id IN (...)` over both membership tables: the `answer` column of the rows whose `given`
/// column is one of `of`'s ids, for each (table, given, answer).
fn related(of: SelectStatement, tables: [(&str, &str, &str); 2]) -> SimpleExpr {
    let mut it = tables.into_iter().map(|(table, given, answer)| {
        let rows = Query::select()
            .column(Alias::new(answer))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new(given)).in_subquery(of.clone()))
            .to_owned();
        Expr::col(Alias::new("id")).in_subquery(rows)
    });
    let first = it.next().unwrap_or_else(|| Expr::val(false).into());
    it.fold(first, SimpleExpr::or)
}

/// Where claims tests read a user's claims from.
const CLAIMS: &str = "claims";

/// Some element of the claims array at `array` matches `element` (tests of paths inside the
/// element; anything else in it matches nothing). Elements that are not objects have no paths.
fn any_element(array: &[String], element: &Filter, backend: Backend) -> SimpleExpr {
    let (template, source, loc): (&str, &str, Vec<sea_query::Value>) = match backend {
        Backend::Sqlite => (
            "(json_type(claims, ?) = 'array' AND EXISTS (SELECT 1 FROM json_each(claims, ?) AS el WHERE ?))",
            "(CASE WHEN el.type = 'object' THEN el.value ELSE '{}' END)",
            vec![format!("${}", array.iter().map(|k| format!(".\"{k}\"")).collect::<String>()).into()],
        ),
        Backend::Postgres => (
            "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(jsonb_extract_path(claims, @)) = 'array' \
             THEN jsonb_extract_path(claims, @) ELSE jsonb_build_array() END) AS el(item) WHERE ?)",
            "el.item",
            array.iter().map(|k| k.as_str().into()).collect(),
        ),
    };
    let inner = element_expr(element, backend, source);
    let marks = vec!["?"; loc.len()].join(", ");
    let mut exprs: Vec<SimpleExpr> = Vec::new();
    let sql = match backend {
        Backend::Sqlite => {
            exprs.extend([Expr::val(loc[0].clone()).into(), Expr::val(loc[0].clone()).into()]);
            template.to_owned()
        }
        Backend::Postgres => {
            for _ in 0..2 {
                exprs.extend(loc.iter().map(|v| SimpleExpr::from(Expr::val(v.clone()))));
            }
            template.replace('@', &marks)
        }
    };
    exprs.push(inner);
    backend.fragment_exprs(&sql, exprs)
}

/// A filter of one element of a claims array, read from `source`.
fn element_expr(f: &Filter, backend: Backend, source: &str) -> SimpleExpr {
    let fold = |parts: &[Filter], empty: bool, join: fn(SimpleExpr, SimpleExpr) -> SimpleExpr| {
        let mut it = parts.iter().map(|p| element_expr(p, backend, source));
        let first = it.next().unwrap_or_else(|| Expr::val(empty).into());
        it.fold(first, join)
    };
    match f {
        Filter::And(parts) => fold(parts, true, SimpleExpr::and),
        Filter::Or(parts) => fold(parts, false, SimpleExpr::or),
        Filter::Not(inner) => element_expr(inner, backend, source).not(),
        Filter::Test { target: Target::Claim(path), cond } => claim_value_test(path, cond, backend, source),
        _ => Expr::val(false).into(),
    }
}

/// A claims test read from the claims themselves (or from an element of an array of them, `source`).
fn claim_value_test(path: &[String], cond: &Cond, backend: Backend, source: &str) -> SimpleExpr {
    // How each database reads the JSON type, the text and the number at the path.
    let (loc, ty, text, num, string_ty, number_ty): (Vec<sea_query::Value>, _, _, _, _, _) = match backend {
        Backend::Sqlite => (
            vec![format!("${}", path.iter().map(|k| format!(".\"{k}\"")).collect::<String>()).into()],
            format!("json_type({source}, @)"),
            format!("json_extract({source}, @)"),
            format!("json_extract({source}, @)"),
            "'text'",
            "('integer', 'real')",
        ),
        Backend::Postgres => (
            path.iter().map(|k| k.as_str().into()).collect(),
            // Variadic path functions rather than `#>` with an ARRAY[...]: sea-query reads square
            // brackets as quoting and would not bind parameters inside them.
            format!("jsonb_typeof(jsonb_extract_path({source}, @))"),
            format!("jsonb_extract_path_text({source}, @)"),
            format!("jsonb_extract_path_text({source}, @)::numeric"),
            "'string'",
            "('number')",
        ),
    };
    let typed = |json_ty: &str, rhs: &str, extra: Vec<sea_query::Value>| {
        let in_or_eq = if json_ty.starts_with('(') { "IN" } else { "=" };
        claim_fragment(backend, &format!("({ty} IS NOT NULL AND {ty} {in_or_eq} {json_ty} AND {rhs})"), &loc, extra)
    };
    match cond {
        Cond::Present => claim_fragment(backend, &format!("({ty} IS NOT NULL AND {ty} <> 'null')"), &loc, vec![]),
        Cond::IsObject => claim_fragment(backend, &format!("({ty} IS NOT NULL AND {ty} = 'object')"), &loc, vec![]),
        Cond::In(values) => {
            let mut it =
                values.iter().map(|v| claim_value_test(path, &Cond::Cmp(CmpOp::Eq, v.clone()), backend, source));
            let first = it.next().unwrap_or_else(|| Expr::val(false).into());
            it.fold(first, SimpleExpr::or)
        }
        Cond::Cmp(CmpOp::Ne, v @ Value::Folded(_)) => {
            claim_value_test(path, &Cond::Cmp(CmpOp::Eq, v.clone()), backend, source).not()
        }
        Cond::Cmp(op, Value::Folded(s)) => {
            let (template, value) = caseless(*op, s, backend);
            typed(string_ty, &template.replace("{x}", &text), vec![value])
        }
        Cond::Cmp(op, v) => {
            let Value::Json(j) = v else {
                return Expr::val(false).into();
            };
            let sym = match op {
                CmpOp::Eq | CmpOp::Ne => "=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Co | CmpOp::Sw | CmpOp::Ew => "LIKE",
            };
            let test = match j {
                serde_json::Value::Null => {
                    claim_fragment(backend, &format!("({ty} IS NOT NULL AND {ty} = 'null')"), &loc, vec![])
                }
                // Arrays and objects equal by their canonical text (serde_json writes object keys
                // sorted, in the stored claims and in the value alike).
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                    let json_ty = if j.is_array() { "'array'" } else { "'object'" };
                    let whole = match backend {
                        Backend::Sqlite => format!("json_extract({source}, @) = ?"),
                        Backend::Postgres => format!("jsonb_extract_path({source}, @) = CAST(? AS jsonb)"),
                    };
                    typed(json_ty, &whole, vec![j.to_string().into()])
                }
                serde_json::Value::Bool(b) => match backend {
                    Backend::Sqlite => typed(if *b { "'true'" } else { "'false'" }, "1 = 1", vec![]),
                    Backend::Postgres => typed("'boolean'", &format!("{text} = '{b}'"), vec![]),
                },
                serde_json::Value::Number(_) => typed(number_ty, &format!("{num} {sym} ?"), vec![sql_value(v)]),
                serde_json::Value::String(s) if sym == "LIKE" => {
                    typed(string_ty, &format!("{text} LIKE ? ESCAPE '\\'"), vec![like_pattern(*op, s).into()])
                }
                _ => typed(string_ty, &format!("{text} {sym} ?"), vec![sql_value(v)]),
            };
            if *op == CmpOp::Ne {
                test.not()
            } else {
                test
            }
        }
    }
}

/// Adds a listing's filter, deletion mode, keyset position, order and limit to a select.
pub fn page(
    mut select: SelectStatement,
    resource: Resource,
    query: &ListQuery,
    backend: Backend,
    tenant: Uuid,
) -> SelectStatement {
    restrict(&mut select, resource, query, backend, tenant);
    let key = sort_expr(resource, query.sort.attr);
    if unique_per_tenant(resource, query.sort.attr.name) {
        return keyset_unique(select, key, query);
    }
    keyset(select, key, query)
}

/// Whether no two records of a tenant share the attribute's value, so it orders them alone.
fn unique_per_tenant(resource: Resource, attr: &str) -> bool {
    matches!((resource, attr), (Resource::User, "user_name" | "number") | (Resource::Group, "name" | "number"))
}

/// As `keyset`, for a key no two rows share: ordered and positioned by the key alone, so the
/// database walks the key's unique index instead of sorting every row (PostgreSQL cannot tell
/// that the id after a unique key changes nothing).
fn keyset_unique(mut select: SelectStatement, key: SimpleExpr, query: &ListQuery) -> SelectStatement {
    let order = if query.sort.desc { Order::Desc } else { Order::Asc };
    if let Some(after) = &query.after {
        let (k, at) = (Expr::expr(key.clone()), Expr::val(sql_value(&after.key)));
        select.and_where(if query.sort.desc { k.lt(at) } else { k.gt(at) });
    }
    select.order_by_expr(key, order).limit(u64::from(query.limit) + 1);
    if query.offset > 0 {
        select.offset(u64::from(query.offset));
    }
    select
}

/// Orders a select by `key` then id, starts it after the query's position and limits it to
/// `limit + 1` rows (so the core can tell whether a next page exists).
pub(crate) fn keyset(mut select: SelectStatement, key: SimpleExpr, query: &ListQuery) -> SelectStatement {
    let order = if query.sort.desc { Order::Desc } else { Order::Asc };
    if let Some(after) = &query.after {
        let left = Expr::tuple([key.clone(), Expr::col(Alias::new("id")).into()]);
        let right: SimpleExpr =
            SimpleExpr::Tuple(vec![Expr::val(sql_value(&after.key)).into(), Expr::val(after.id).into()]);
        select.and_where(if query.sort.desc { left.lt(right) } else { left.gt(right) });
    }
    select.order_by_expr(key, order.clone()).order_by(Alias::new("id"), order).limit(u64::from(query.limit) + 1);
    if query.offset > 0 {
        select.offset(u64::from(query.offset));
    }
    select
}

/// The same selection without paging, counted.
pub fn count(
    mut select: SelectStatement,
    resource: Resource,
    query: &ListQuery,
    backend: Backend,
    tenant: Uuid,
) -> SelectStatement {
    restrict(&mut select, resource, query, backend, tenant);
    select.clear_selects();
    select.expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"));
    select
}

fn restrict(select: &mut SelectStatement, resource: Resource, query: &ListQuery, backend: Backend, tenant: Uuid) {
    let deleted = Expr::col(Alias::new("deleted_at"));
    match query.deleted {
        Deleted::Exclude => select.and_where(deleted.is_null()),
        Deleted::Only => select.and_where(deleted.is_not_null()),
        Deleted::Include => select,
    };
    if let Some(f) = &query.filter {
        select.and_where(filter_expr(f, resource, backend, tenant));
    }
}

/// All of a tenant's users.
pub fn users(tenant: Uuid) -> SelectStatement {
    Query::select().column(Asterisk).from(Users::Table).and_where(Expr::col(Users::TenantId).eq(tenant)).to_owned()
}

/// A tenant's users, found through the claims index first: the tenant test is kept out of the
/// planner's choice of index, so the claims index lists the candidates and only those are read
/// and sorted. For filters whose claims equalities few users pass; both planners would otherwise
/// walk the tenant's users in sort order (SQLite for want of statistics, PostgreSQL because its
/// statistics cannot tell a rare claims value from a common one) and test each.
pub fn users_from_claims(tenant: Uuid, backend: Backend) -> SelectStatement {
    let unindexed = match backend {
        Backend::Sqlite => "+tenant_id = ?",
        Backend::Postgres => "(tenant_id = CAST(? AS uuid)) IS TRUE",
    };
    let mut select = Query::select().column(Asterisk).from(Users::Table).to_owned();
    select.and_where(backend.fragment(unindexed, vec![tenant.into()]));
    select
}

/// All of a tenant's groups.
pub fn groups(tenant: Uuid) -> SelectStatement {
    Query::select().column(Asterisk).from(Groups::Table).and_where(Expr::col(Groups::TenantId).eq(tenant)).to_owned()
}

/// Users and groups of a tenant as one relation of principal columns.
pub fn principals(tenant: Uuid) -> SelectStatement {
    let kind = |k: &str| Expr::val(k.to_owned());
    let mut users = Query::select()
        .expr_as(kind("user"), Alias::new("kind"))
        .column(Users::Id)
        .column(Users::Number)
        .expr_as(Expr::col(Users::UserName), Alias::new("name"))
        .expr_as(Expr::col(Users::UserNameKey), Alias::new("name_key"))
        .column(Users::DisplayName)
        .column(Users::ExternalId)
        .column(Users::CreatedAt)
        .column(Users::ModifiedAt)
        .column(Users::DeletedAt)
        .from(Users::Table)
        .and_where(Expr::col(Users::TenantId).eq(tenant))
        .to_owned();
    let groups = Query::select()
        .expr_as(kind("group"), Alias::new("kind"))
        .column(Groups::Id)
        .column(Groups::Number)
        .column(Groups::Name)
        .column(Groups::NameKey)
        .column(Groups::DisplayName)
        .column(Groups::ExternalId)
        .column(Groups::CreatedAt)
        .column(Groups::ModifiedAt)
        .column(Groups::DeletedAt)
        .from(Groups::Table)
        .and_where(Expr::col(Groups::TenantId).eq(tenant))
        .to_owned();
    let union = users.union(UnionType::All, groups).to_owned();
    Query::select().column(Asterisk).from_subquery(union, Alias::new("p")).to_owned()
}

/// `id IN (...)`: the members of a group, directly or through nested groups.
pub fn members_of(group: Uuid, depth: Depth, backend: Backend) -> SimpleExpr {
    let sql = match depth {
        Depth::Direct => "(id IN (SELECT user_id FROM group_users WHERE group_id = ?) \
                          OR id IN (SELECT child_id FROM group_groups WHERE parent_id = ?))"
            .to_owned(),
        Depth::Indirect => format!(
            "(id IN (WITH RECURSIVE down(gid) AS (SELECT {} UNION SELECT gg.child_id FROM group_groups gg JOIN down ON gg.parent_id = down.gid) \
             SELECT gu.user_id FROM group_users gu JOIN down ON gu.group_id = down.gid UNION SELECT gid FROM down WHERE gid <> ?))",
            uuid_param(backend)
        ),
    };
    backend.fragment(&sql, vec![group.into(), group.into()])
}

/// `id IN (...)`: the groups a user or group belongs to, directly or through nested groups.
pub fn groups_of(member: MemberRef, depth: Depth, backend: Backend) -> SimpleExpr {
    let direct = match member.kind {
        PrincipalKind::User => "SELECT group_id FROM group_users WHERE user_id = ?",
        PrincipalKind::Group => "SELECT parent_id FROM group_groups WHERE child_id = ?",
    };
    match depth {
        Depth::Direct => backend.fragment(&format!("(id IN ({direct}))"), vec![member.id.into()]),
        Depth::Indirect => backend.fragment(
            &format!(
                "(id IN (WITH RECURSIVE up(gid) AS ({direct} UNION SELECT gg.parent_id FROM group_groups gg JOIN up ON gg.child_id = up.gid) SELECT gid FROM up))"
            ),
            vec![member.id.into()],
        ),
    }
}

/// Whether `descendant` is `ancestor` or lies below it; used to refuse membership cycles.
pub fn reaches(ancestor: Uuid, descendant: Uuid, backend: Backend) -> SelectStatement {
    Query::select()
        .expr_as(backend.fragment(
            &format!(
                "EXISTS (WITH RECURSIVE down(gid) AS (SELECT {} UNION SELECT gg.child_id FROM group_groups gg JOIN down ON gg.parent_id = down.gid) SELECT 1 FROM down WHERE gid = ?)",
                uuid_param(backend)
            ),
            vec![ancestor.into(), descendant.into()],
        ), sea_query::Alias::new("hit"))
        .to_owned()
}

/// A UUID parameter in a position where PostgreSQL cannot infer its type.
fn uuid_param(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "?",
        Backend::Postgres => "CAST(? AS uuid)",
    }
}

/// `<column> IN (...)`: the live groups a principal belongs to, directly or through nested live
/// groups. A soft-deleted group passes nothing on, neither its roles nor those of its parents.
pub fn in_live_groups_of(member: MemberRef, column: &str, backend: Backend) -> SimpleExpr {
    let direct = match member.kind {
        PrincipalKind::User => "SELECT gu.group_id FROM group_users gu JOIN \"groups\" g ON g.id = gu.group_id WHERE gu.user_id = ? AND g.deleted_at IS NULL",
        PrincipalKind::Group => "SELECT gg.parent_id FROM group_groups gg JOIN \"groups\" g ON g.id = gg.parent_id WHERE gg.child_id = ? AND g.deleted_at IS NULL",
    };
    backend.fragment(
        &format!(
            "({column} IN (WITH RECURSIVE up(gid) AS ({direct} UNION SELECT gg.parent_id FROM group_groups gg JOIN up ON gg.child_id = up.gid \
             JOIN \"groups\" g ON g.id = gg.parent_id WHERE g.deleted_at IS NULL) SELECT gid FROM up))"
        ),
        vec![member.id.into()],
    )
}
