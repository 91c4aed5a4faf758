//! Sealed values of every kind, read and replaced one by one when the secret key is rotated.

use crate::exec::Row;
use crate::tables::{DirectoryConnections, Outbox, Secrets, SigningKeys};
use crate::SqlStore;
use roster_core::store::{SealedKind, SealedValue, StoreResult};
use sea_query::{Expr, Iden, Query, SelectStatement};
use uuid::Uuid;

/// The table, record columns and value column a kind is kept in; `tenant` is None for signing
/// keys, which belong to the deployment.
fn place(kind: SealedKind) -> (sea_query::DynIden, Option<&'static str>, &'static str, &'static str) {
    let t = |i: &dyn Iden| sea_query::SeaRc::new(sea_query::Alias::new(i.to_string()));
    match kind {
        SealedKind::BindPassword => (t(&DirectoryConnections::Table), Some("tenant_id"), "id", "sealed_password"),
        SealedKind::SecretValue => (t(&Secrets::Table), Some("tenant_id"), "id", "sealed_value"),
        SealedKind::SigningKey => (t(&SigningKeys::Table), None, "kid", "private_key"),
        SealedKind::OutboxText => (t(&Outbox::Table), Some("tenant_id"), "id", "text_body"),
        SealedKind::OutboxHtml => (t(&Outbox::Table), Some("tenant_id"), "id", "html_body"),
    }
}

/// Bodies are text; the other values bytes.
fn is_text(kind: SealedKind) -> bool {
    matches!(kind, SealedKind::OutboxText | SealedKind::OutboxHtml)
}

fn col(name: &'static str) -> Expr {
    Expr::col(sea_query::Alias::new(name))
}

fn select(kind: SealedKind) -> SelectStatement {
    let (table, tenant, record, value) = place(kind);
    let mut stmt = Query::select();
    stmt.from(table)
        .expr_as(col(record), sea_query::Alias::new("record"))
        .expr_as(col(value), sea_query::Alias::new("value"));
    match tenant {
        Some(t) => stmt.expr_as(col(t), sea_query::Alias::new("tenant")),
        None => stmt.expr_as(Expr::val(Uuid::nil()), sea_query::Alias::new("tenant")),
    };
    stmt.and_where(col(value).is_not_null());
    if is_text(kind) {
        // Delivered messages keep no body; undelivered ones are the ones to re-seal.
        stmt.and_where(col("sent_at").is_null());
    }
    stmt.to_owned()
}

fn row(kind: SealedKind, r: &Row) -> StoreResult<SealedValue> {
    let record = match kind {
        SealedKind::SigningKey => r.text("record")?,
        _ => r.uuid("record")?.to_string(),
    };
    let value = if is_text(kind) { r.text("value")?.into_bytes() } else { r.bytes("value")? };
    let tenant = if kind == SealedKind::SigningKey { Uuid::nil() } else { r.uuid("tenant")? };
    Ok(SealedValue { kind, tenant, record, value })
}

pub(crate) async fn values(store: &SqlStore, kind: SealedKind) -> StoreResult<Vec<SealedValue>> {
    let mut conn = store.read().await?;
    let rows = conn.exec().fetch_all(&select(kind)).await?;
    rows.iter().map(|r| row(kind, r)).collect()
}

pub(crate) async fn replace(store: &SqlStore, v: &SealedValue, new: &[u8]) -> StoreResult<bool> {
    let (table, tenant, record, value) = place(v.kind);
    let as_value = |bytes: &[u8]| -> sea_query::Value {
        if is_text(v.kind) {
            String::from_utf8_lossy(bytes).into_owned().into()
        } else {
            bytes.to_vec().into()
        }
    };
    let mut stmt = Query::update();
    stmt.table(table).value(sea_query::Alias::new(value), as_value(new)).and_where(col(value).eq(as_value(&v.value)));
    match v.kind {
        SealedKind::SigningKey => stmt.and_where(col(record).eq(v.record.as_str())),
        _ => {
            let id = Uuid::parse_str(&v.record).map_err(|e| roster_core::StoreError::Backend(e.to_string()))?;
            stmt.and_where(col(record).eq(id))
        }
    };
    if let Some(t) = tenant {
        stmt.and_where(col(t).eq(v.tenant));
    }
    Ok(store.write(&stmt).await? == 1)
}
