//! The audit trail's SQL: writing an event inside its change's transaction, and the event
//! filter (with the free-text query) turned into SQL for both databases.

use crate::exec::{Backend, Exec};
use crate::tables::{self, Events};
use roster_core::events::{Event, EventFilter, EventQuery, Ordering, TextQuery};
use roster_core::store::StoreResult;
use sea_query::{Cond, Expr, Order, Query, SelectStatement, SimpleExpr};
use uuid::Uuid;

/// Writes an event with the connection's current transaction.
pub async fn insert_event(x: &mut Exec<'_>, e: &Event) -> StoreResult<()> {
    let backend = x.backend();
    x.execute(&insert(&[e], backend)?).await.map(drop)
}

/// One INSERT of several events. On SQLite, whose one writer numbers events in commit order,
/// an event is never recorded before the newest one already there: recording order and `seq`
/// order then agree, which lets a free-text page walk the full-text index in `seq` order.
pub fn insert(events: &[&Event], backend: Backend) -> StoreResult<sea_query::InsertStatement> {
    let mut stmt = Query::insert();
    stmt.into_table(Events::Table).columns([
        Events::Id,
        Events::TenantId,
        Events::CorrelationId,
        Events::CorrelationKey,
        Events::Service,
        Events::EventType,
        Events::Outcome,
        Events::ActorType,
        Events::ActorId,
        Events::ActorName,
        Events::ActorNameKey,
        Events::ActorDisplayId,
        Events::ActorDisplayKey,
        Events::ActorTenantId,
        Events::ImpersonatorType,
        Events::ImpersonatorId,
        Events::OccurredAt,
        Events::RecordedAt,
        Events::Attested,
        Events::Ip,
        Events::UserAgent,
        Events::Data,
        Events::Search,
    ]);
    for e in events {
        let values: Vec<SimpleExpr> = vec![
            e.id.into(),
            e.tenant_id.into(),
            e.correlation_id.clone().into(),
            e.correlation_id.to_lowercase().into(),
            e.service.as_str().into(),
            e.event_type.as_str().into(),
            e.outcome.as_str().into(),
            e.actor.kind.as_str().into(),
            e.actor.id.clone().into(),
            e.actor.display_name.clone().into(),
            e.actor.display_name.to_lowercase().into(),
            e.actor.display_id.clone().into(),
            e.actor.display_id.to_lowercase().into(),
            e.actor.tenant_id.into(),
            e.impersonator.map(|a| a.kind.as_str()).into(),
            e.impersonator.map(|a| a.id).into(),
            e.occurred.into(),
            match backend {
                Backend::Sqlite => backend
                    .fragment("MAX(?, COALESCE((SELECT MAX(recorded_at) FROM events), 0))", vec![e.recorded.into()]),
                Backend::Postgres => e.recorded.into(),
            },
            e.attested.into(),
            e.ip.clone().into(),
            e.user_agent.clone().into(),
            e.data.to_string().into(),
            e.search_text().into(),
        ];
        stmt.values(values).map_err(|err| roster_core::StoreError::Backend(err.to_string()))?;
    }
    Ok(stmt)
}

/// The tenant's events that a filter selects, unordered.
pub fn select(tenant: Uuid, f: &EventFilter, backend: Backend) -> SelectStatement {
    let mut q = Query::select();
    q.column((Events::Table, sea_query::Asterisk))
        .from(Events::Table)
        .and_where(Expr::col(Events::TenantId).eq(tenant));
    if let Some(start) = f.start {
        q.and_where(Expr::col(Events::RecordedAt).gte(start));
    }
    if let Some(end) = f.end {
        q.and_where(Expr::col(Events::RecordedAt).lt(end));
    }
    any_of(&mut q, Events::EventType, &f.types);
    any_of(&mut q, Events::Outcome, &f.outcomes);
    any_of(&mut q, Events::Service, &f.services);
    any_of(&mut q, Events::CorrelationKey, &f.correlation_ids);
    if !f.actors.is_empty() {
        q.cond_where(
            Cond::any()
                .add(Expr::col(Events::ActorId).is_in(f.actors.iter().cloned()))
                .add(Expr::col(Events::ActorNameKey).is_in(f.actors.iter().cloned()))
                .add(Expr::col(Events::ActorDisplayKey).is_in(f.actors.iter().cloned())),
        );
    }
    if !f.include_not_attested {
        q.and_where(Expr::col(Events::Attested).eq(true));
    }
    match (&f.text, backend) {
        (None, _) => {}
        // Joined, so a page can walk the index in rowid order and stop when it is full.
        (Some(text), Backend::Sqlite) => {
            q.inner_join(sea_query::Alias::new("events_fts"), Expr::cust("events_fts.rowid = events.seq"))
                .and_where(backend.fragment("events_fts MATCH ?", vec![fts5_query(text).into()]));
        }
        (Some(text), Backend::Postgres) => {
            q.and_where(tsquery(text));
        }
    }
    q
}

fn any_of(q: &mut SelectStatement, col: Events, values: &[String]) {
    if !values.is_empty() {
        q.and_where(Expr::col(col).is_in(values.iter().cloned()));
    }
}

/// A page in recorded order, after the cursor's (recorded, seq).
pub fn page(tenant: Uuid, query: &EventQuery, backend: Backend) -> SelectStatement {
    let mut q = select(tenant, &query.filter, backend);
    let order = match query.ordering {
        Ordering::Asc => Order::Asc,
        Ordering::Desc => Order::Desc,
    };
    if backend == Backend::Sqlite && query.filter.text.is_some() {
        // Recording order is seq order on SQLite (see `insert`): walk the full-text index by rowid.
        if let Some((_, seq)) = query.after {
            let s = Expr::col((Events::Table, Events::Seq));
            q.and_where(if query.ordering == Ordering::Asc { s.gt(seq) } else { s.lt(seq) });
        }
        q.order_by_expr(Expr::cust("events_fts.rowid"), order).limit(u64::from(query.limit) + 1);
        return q;
    }
    if let Some((recorded, seq)) = query.after {
        let (r, s) = (Expr::col(Events::RecordedAt), Expr::col(Events::Seq));
        q.and_where(match query.ordering {
            Ordering::Asc => r.clone().gt(recorded).or(r.eq(recorded).and(s.gt(seq))),
            Ordering::Desc => r.clone().lt(recorded).or(r.eq(recorded).and(s.lt(seq))),
        });
    }
    q.order_by(Events::RecordedAt, order.clone()).order_by(Events::Seq, order).limit(u64::from(query.limit) + 1);
    q
}

/// The free-text query in FTS5's syntax. Tokens are letters and digits only, so quoting them
/// needs no escaping.
fn fts5_query(text: &TextQuery) -> String {
    let phrase = |p: &Vec<String>| format!("\"{}\"", p.join(" "));
    let clauses: Vec<String> = text
        .any
        .iter()
        .map(|c| {
            let mut s = c.all.iter().map(phrase).collect::<Vec<_>>().join(" AND ");
            for n in &c.none {
                s.push_str(" NOT ");
                s.push_str(&phrase(n));
            }
            format!("({s})")
        })
        .collect();
    clauses.join(" OR ")
}

/// The free-text condition on PostgreSQL's tsvector index.
fn tsquery(text: &TextQuery) -> SimpleExpr {
    let mut values: Vec<sea_query::Value> = Vec::new();
    // One word needs no positions, so the index answers it without rechecking rows.
    let mut phrase = |p: &Vec<String>| {
        values.push(p.join(" ").into());
        if p.len() == 1 { "plainto_tsquery('simple', ?)" } else { "phraseto_tsquery('simple', ?)" }.to_owned()
    };
    let clauses: Vec<String> = text
        .any
        .iter()
        .map(|c| {
            let mut parts: Vec<String> = c.all.iter().map(&mut phrase).collect();
            parts.extend(c.none.iter().map(|n| format!("!!{}", phrase(n))));
            format!("({})", parts.join(" && "))
        })
        .collect();
    let sql = format!("to_tsvector('simple', search) @@ ({})", clauses.join(" || "));
    Backend::Postgres.fragment(&sql, values)
}

/// Events after a stream position, in stream order. On PostgreSQL only those of transactions
/// older than every transaction still running: a transaction that began earlier could
/// otherwise commit an event behind the follower's position.
pub fn stream(tenant: Uuid, f: &EventFilter, after: (i64, i64), limit: u32, backend: Backend) -> SelectStatement {
    let mut q = select(tenant, f, backend);
    let (t, s) = (Expr::col(Events::Txid), Expr::col(Events::Seq));
    q.and_where(t.clone().gt(after.0).or(t.eq(after.0).and(s.gt(after.1))));
    if backend == Backend::Postgres {
        q.and_where(backend.fragment("txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint", vec![]));
    }
    q.order_by(Events::Txid, Order::Asc).order_by(Events::Seq, Order::Asc).limit(u64::from(limit));
    q
}

/// Where a follower starting now begins. On SQLite, after the newest event. On PostgreSQL,
/// before every transaction still running, since those may yet commit events: a follower may
/// then see a few events recorded just before it started, but never misses one.
pub fn head(tenant: Uuid, backend: Backend) -> SelectStatement {
    match backend {
        Backend::Sqlite => Query::select()
            .expr_as(Expr::val(0i64), sea_query::Alias::new("txid"))
            .expr_as(Expr::col(Events::Seq).max(), sea_query::Alias::new("seq"))
            .from(Events::Table)
            .and_where(Expr::col(Events::TenantId).eq(tenant))
            .to_owned(),
        Backend::Postgres => Query::select()
            .expr_as(
                backend.fragment("pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1", vec![]),
                sea_query::Alias::new("txid"),
            )
            .expr_as(Expr::val(i64::MAX), sea_query::Alias::new("seq"))
            .to_owned(),
    }
}

/// The newest committed event a filter selects, in stream order.
pub fn newest(tenant: Uuid, f: &EventFilter, backend: Backend) -> SelectStatement {
    let mut q = select(tenant, f, backend);
    q.order_by(Events::Txid, Order::Desc).order_by(Events::Seq, Order::Desc).limit(1);
    q
}

/// Up to `batch` of the oldest events recorded before a time.
pub fn prune(before: i64, batch: u32) -> sea_query::DeleteStatement {
    let oldest = Query::select()
        .column(Events::Seq)
        .from(Events::Table)
        .and_where(Expr::col(Events::RecordedAt).lt(before))
        .order_by(Events::RecordedAt, Order::Asc)
        .limit(u64::from(batch))
        .to_owned();
    Query::delete().from_table(Events::Table).and_where(Expr::col(Events::Seq).in_subquery(oldest)).to_owned()
}

pub use tables::event as row;
