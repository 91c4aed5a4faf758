//! SQL of one-time links, the outbox, mail templates and device credentials.

use crate::events::insert_event;
use crate::exec::{Backend, Exec, Row};
use crate::tables::{
    self, DeviceChallenges, DeviceCredentials, MailTemplates, OneTimeTokens, Outbox, UserPasswords, Users,
};
use crate::{guarded_update, insert_row, lifecycle_values, rows_where, user_values, SqlStore};
use roster_core::devices::{Challenge, DeviceCredential};
use roster_core::enrollment::{Dispatch, Redemption};
use roster_core::events::Event;
use roster_core::mail::{Attempt, MailTemplate, MessageKind, OutboxMessage};
use roster_core::model::{Time, User, UserStatus};
use roster_core::schema::Resource;
use roster_core::store::{StoreError, StoreResult};
use sea_query::{Expr, LockBehavior, LockType, OnConflict, Query};
use uuid::Uuid;

/// Revokes a user's live tokens of a purpose (and, for invitations, clears its expiry).
pub(crate) async fn revoke_tokens(
    x: &mut Exec<'_>,
    tenant: Uuid,
    user: Uuid,
    purpose: MessageKind,
    at: Time,
) -> StoreResult<u64> {
    let stmt = Query::update()
        .table(OneTimeTokens::Table)
        .value(OneTimeTokens::RevokedAt, tables::millis(at))
        .and_where(Expr::col(OneTimeTokens::TenantId).eq(tenant))
        .and_where(Expr::col(OneTimeTokens::UserId).eq(user))
        .and_where(Expr::col(OneTimeTokens::Purpose).eq(purpose.as_str()))
        .and_where(Expr::col(OneTimeTokens::UsedAt).is_null())
        .and_where(Expr::col(OneTimeTokens::RevokedAt).is_null())
        .and_where(Expr::col(OneTimeTokens::ExpiresAt).gt(tables::millis(at)))
        .to_owned();
    let n = x.execute(&stmt).await?;
    if purpose == MessageKind::Invitation {
        set_invitation_expiry(x, tenant, user, None).await?;
    }
    Ok(n)
}

async fn set_invitation_expiry(x: &mut Exec<'_>, tenant: Uuid, user: Uuid, to: Option<Time>) -> StoreResult<()> {
    let stmt = Query::update()
        .table(Users::Table)
        .value(Users::InvitationExpiresAt, to.map(tables::millis))
        .and_where(Expr::col(Users::TenantId).eq(tenant))
        .and_where(Expr::col(Users::Id).eq(user))
        .to_owned();
    x.execute(&stmt).await.map(drop)
}

/// Writes a dispatch's token, message and event, after revoking the user's earlier live links
/// (a user inserted in this transaction, `fresh`, has none, and got its invitation expiry with
/// its row).
pub(crate) async fn write_dispatch(x: &mut Exec<'_>, d: &Dispatch, fresh: bool) -> StoreResult<()> {
    let t = &d.token;
    // Counting the hour's messages and adding one must not interleave with another's.
    if x.backend() == crate::exec::Backend::Postgres {
        crate::lock_tenant(x, t.tenant_id).await?;
    }
    if !fresh {
        revoke_tokens(x, t.tenant_id, t.user_id, t.purpose, t.created).await?;
    }
    let token = insert_row(
        OneTimeTokens::Table,
        [
            (OneTimeTokens::Id, t.id.into()),
            (OneTimeTokens::TenantId, t.tenant_id.into()),
            (OneTimeTokens::UserId, t.user_id.into()),
            (OneTimeTokens::Purpose, t.purpose.as_str().into()),
            (OneTimeTokens::Hash, t.hash.to_vec().into()),
            (OneTimeTokens::CreatedAt, tables::millis(t.created).into()),
            (OneTimeTokens::ExpiresAt, tables::millis(t.expires).into()),
        ],
    )?;
    x.execute(&token).await?;
    if t.purpose == MessageKind::Invitation && !fresh {
        set_invitation_expiry(x, t.tenant_id, t.user_id, Some(t.expires)).await?;
    }
    let m = &d.message;
    let message = insert_row(
        Outbox::Table,
        [
            (Outbox::Id, m.id.into()),
            (Outbox::TenantId, m.tenant_id.into()),
            (Outbox::UserId, m.user_id.into()),
            (Outbox::Kind, m.kind.as_str().into()),
            (Outbox::Recipient, m.recipient.clone().into()),
            (Outbox::Subject, m.subject.clone().into()),
            (Outbox::TextBody, m.text.clone().into()),
            (Outbox::HtmlBody, m.html.clone().into()),
            (Outbox::MessageId, m.message_id.clone().into()),
            (Outbox::CreatedAt, tables::millis(m.created).into()),
            (Outbox::NextAttemptAt, tables::millis(m.next_attempt).into()),
        ],
    )?;
    x.execute(&message).await?;
    let since = m.created - chrono::Duration::hours(1);
    let caps = (d.share.per_user, d.share.per_tenant);
    // One past the share is enough to tell: the counts stop there.
    let (per_user, per_tenant) = count_recent(x, m.tenant_id, m.user_id, since, (caps.0 + 1, caps.1 + 1)).await?;
    if m.user_id.is_some() && per_user > u64::from(caps.0) {
        return Err(StoreError::MailShare("messages to this user"));
    }
    if per_tenant > u64::from(caps.1) {
        return Err(StoreError::MailShare("messages from this tenant"));
    }
    insert_event(x, &d.event).await
}

/// Writes a new password hash inside a transaction, keeping `keep` earlier ones as history.
pub(crate) async fn write_password(
    x: &mut Exec<'_>,
    tenant: Uuid,
    user: Uuid,
    hash: &str,
    keep: u32,
    at: Time,
) -> StoreResult<()> {
    let insert = insert_row(
        UserPasswords::Table,
        [
            (UserPasswords::Id, Uuid::now_v7().into()),
            (UserPasswords::TenantId, tenant.into()),
            (UserPasswords::UserId, user.into()),
            (UserPasswords::Hash, hash.into()),
            (UserPasswords::CreatedAt, tables::millis(at).into()),
        ],
    )?;
    x.execute(&insert).await?;
    // Keep the new password and `keep` before it; older hashes serve nothing.
    let kept = Query::select()
        .column(UserPasswords::Id)
        .from(UserPasswords::Table)
        .and_where(Expr::col(UserPasswords::UserId).eq(user))
        .order_by(UserPasswords::CreatedAt, sea_query::Order::Desc)
        .order_by(UserPasswords::Id, sea_query::Order::Desc)
        .limit(u64::from(keep) + 1)
        .to_owned();
    let prune = Query::delete()
        .from_table(UserPasswords::Table)
        .and_where(Expr::col(UserPasswords::UserId).eq(user))
        .and_where(Expr::col(UserPasswords::Id).not_in_subquery(kept))
        .to_owned();
    x.execute(&prune).await.map(drop)
}

/// Makes `hash` the password of a live user, stamping when it changed (sessions older than
/// that stop working); outstanding reset links die with the old password.
pub(crate) async fn replace_password(
    x: &mut Exec<'_>,
    tenant: Uuid,
    user: Uuid,
    hash: &str,
    must_change: bool,
    keep: u32,
    at: Time,
) -> StoreResult<Row> {
    let mut stmt = Query::update();
    stmt.table(Users::Table)
        .value(Users::PasswordMustChange, must_change)
        .value(Users::PasswordChangedAt, tables::millis(at))
        .and_where(Expr::col(Users::DeletedAt).is_null());
    let row = guarded_update(x, Resource::User, stmt, tenant, user, None, at).await?;
    write_password(x, tenant, user, hash, keep, at).await?;
    revoke_tokens(x, tenant, user, MessageKind::PasswordReset, at).await?;
    Ok(row)
}

impl SqlStore {
    pub(crate) async fn dispatch_link(&self, d: &Dispatch) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        write_dispatch(&mut tx.exec(), d, false).await?;
        tx.commit().await
    }

    pub(crate) async fn revoke_links(
        &self,
        tenant: Uuid,
        user: Uuid,
        purpose: MessageKind,
        at: Time,
        event: &Event,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let n = revoke_tokens(&mut x, tenant, user, purpose, at).await?;
        if n == 0 {
            return Ok(0);
        }
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub(crate) async fn redeem_link(
        &self,
        hash: &[u8; 32],
        purpose: MessageKind,
        at: Time,
        change: &Redemption<'_>,
        event: &Event,
    ) -> StoreResult<User> {
        let use_up = Query::update()
            .table(OneTimeTokens::Table)
            .value(OneTimeTokens::UsedAt, tables::millis(at))
            .and_where(Expr::col(OneTimeTokens::Hash).eq(hash.to_vec()))
            .and_where(Expr::col(OneTimeTokens::Purpose).eq(purpose.as_str()))
            .and_where(Expr::col(OneTimeTokens::UsedAt).is_null())
            .and_where(Expr::col(OneTimeTokens::RevokedAt).is_null())
            .and_where(Expr::col(OneTimeTokens::ExpiresAt).gt(tables::millis(at)))
            .returning(Query::returning().columns([OneTimeTokens::TenantId, OneTimeTokens::UserId]))
            .to_owned();
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        let row = x.fetch_optional(&use_up).await?.ok_or(StoreError::NotFound("link"))?;
        let (tenant, user) = (row.uuid("tenant_id")?, row.uuid("user_id")?);
        let row = match change {
            Redemption::AcceptInvitation { spec, expected, password, keep } => {
                let mut stmt = Query::update();
                stmt.table(Users::Table)
                    .values(user_values(spec))
                    .values(lifecycle_values(spec, at, true))
                    .value(Users::InvitationExpiresAt, Option::<i64>::None)
                    .and_where(Expr::col(Users::Status).eq(UserStatus::Invited.as_str()))
                    .and_where(Expr::col(Users::DeletedAt).is_null());
                if password.is_some() {
                    stmt.value(Users::PasswordChangedAt, tables::millis(at)).value(Users::PasswordMustChange, false);
                }
                let row = guarded_update(&mut x, Resource::User, stmt, tenant, user, Some(*expected), at).await?;
                crate::claims::index(&mut x, tenant, user, &spec.claims).await?;
                if let Some(hash) = password {
                    write_password(&mut x, tenant, user, hash, *keep, at).await?;
                }
                revoke_tokens(&mut x, tenant, user, MessageKind::Invitation, at).await?;
                row
            }
            Redemption::ResetPassword { hash, keep } => {
                replace_password(&mut x, tenant, user, hash, false, *keep, at).await?
            }
            Redemption::BindDevice(d) => {
                let insert = insert_row(
                    DeviceCredentials::Table,
                    [
                        (DeviceCredentials::Id, d.id.into()),
                        (DeviceCredentials::TenantId, tenant.into()),
                        (DeviceCredentials::UserId, user.into()),
                        (DeviceCredentials::Name, d.name.clone().into()),
                        (DeviceCredentials::Algorithm, d.algorithm.as_str().into()),
                        (DeviceCredentials::PublicKey, d.public_key.clone().into()),
                        (DeviceCredentials::CreatedAt, tables::millis(d.created).into()),
                    ],
                )?;
                x.execute(&insert).await?;
                x.fetch_optional(&crate::by_id(crate::query::users(tenant), user))
                    .await?
                    .ok_or(StoreError::NotFound("user"))?
            }
        };
        let user = tables::user(&row)?;
        insert_event(&mut x, event).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Counts recent messages, each count stopping at its cap: the answer only has to say
    /// whether a limit is reached, and a capped count costs the same however busy the tenant is.
    pub(crate) async fn count_messages(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
        since: Time,
        caps: (u32, u32),
    ) -> StoreResult<(u64, u64)> {
        let mut conn = self.read().await?;
        count_recent(&mut conn.exec(), tenant, user, since, caps).await
    }

    pub(crate) async fn claim(&self, now: Time, lease_until: Time) -> StoreResult<Option<OutboxMessage>> {
        let mut due = Query::select();
        due.column(Outbox::Id)
            .from(Outbox::Table)
            .and_where(Expr::col(Outbox::SentAt).is_null())
            .and_where(Expr::col(Outbox::FailedAt).is_null())
            .and_where(Expr::col(Outbox::NextAttemptAt).lte(tables::millis(now)))
            .and_where(
                Expr::col(Outbox::LeaseUntil).is_null().or(Expr::col(Outbox::LeaseUntil).lte(tables::millis(now))),
            )
            .order_by(Outbox::NextAttemptAt, sea_query::Order::Asc)
            .limit(1);
        let mut claim = Query::update();
        claim
            .table(Outbox::Table)
            .value(Outbox::LeaseUntil, tables::millis(lease_until))
            .value(Outbox::Attempts, Expr::col(Outbox::Attempts).add(1))
            .returning_all();
        let row = self.claim_one(due, Outbox::Id, claim).await?;
        row.as_ref().map(tables::outbox_message).transpose()
    }

    /// Runs `claim` on the first row `due` selects (by `id`), in one transaction; on PostgreSQL,
    /// which several processes share, a row another process holds right now is skipped.
    pub(crate) async fn claim_one(
        &self,
        mut due: sea_query::SelectStatement,
        id: impl sea_query::IntoColumnRef,
        mut claim: sea_query::UpdateStatement,
    ) -> StoreResult<Option<Row>> {
        let mut tx = self.begin().await?;
        let mut x = tx.exec();
        if x.backend() == Backend::Postgres {
            due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        claim.and_where(Expr::col(id).in_subquery(due));
        let row = x.fetch_optional(&claim).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Ends an attempt: delivered, to be retried at a time, or given up on.
    pub(crate) async fn finish(&self, id: Uuid, attempt: &Attempt<'_>, at: Time, event: &Event) -> StoreResult<()> {
        let mut stmt = Query::update();
        stmt.table(Outbox::Table)
            .value(Outbox::LeaseUntil, Option::<i64>::None)
            .and_where(Expr::col(Outbox::Id).eq(id));
        let forget_bodies = |stmt: &mut sea_query::UpdateStatement| {
            // The bodies carry a one-time link: once delivered or given up on, nobody needs them.
            stmt.value(Outbox::TextBody, Option::<String>::None).value(Outbox::HtmlBody, Option::<String>::None);
        };
        match *attempt {
            Attempt::Sent => {
                stmt.value(Outbox::SentAt, tables::millis(at)).value(Outbox::LastError, Option::<String>::None);
                forget_bodies(&mut stmt);
            }
            Attempt::Retry { at: retry, error } => {
                stmt.value(Outbox::NextAttemptAt, tables::millis(retry)).value(Outbox::LastError, error.to_owned());
            }
            Attempt::GaveUp { error } => {
                stmt.value(Outbox::FailedAt, tables::millis(at)).value(Outbox::LastError, error.to_owned());
                forget_bodies(&mut stmt);
            }
        }
        self.write_with(&stmt, event, Some("message")).await.map(drop)
    }

    pub(crate) async fn put_template(
        &self,
        tenant: Uuid,
        kind: MessageKind,
        t: &MailTemplate,
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        let stmt = insert_row(
            MailTemplates::Table,
            [
                (MailTemplates::TenantId, tenant.into()),
                (MailTemplates::Kind, kind.as_str().into()),
                (MailTemplates::Subject, t.subject.clone().into()),
                (MailTemplates::TextBody, t.text.clone().into()),
                (MailTemplates::HtmlBody, t.html.clone().into()),
                (MailTemplates::ModifiedAt, tables::millis(at).into()),
            ],
        )?
        .on_conflict(
            OnConflict::columns([MailTemplates::TenantId, MailTemplates::Kind])
                .update_columns([
                    MailTemplates::Subject,
                    MailTemplates::TextBody,
                    MailTemplates::HtmlBody,
                    MailTemplates::ModifiedAt,
                ])
                .to_owned(),
        )
        .to_owned();
        self.write_with(&stmt, event, None).await.map(drop)
    }

    pub(crate) async fn template(&self, tenant: Uuid, kind: MessageKind) -> StoreResult<Option<MailTemplate>> {
        let stmt = rows_where(
            MailTemplates::Table,
            Expr::col(MailTemplates::TenantId).eq(tenant).and(Expr::col(MailTemplates::Kind).eq(kind.as_str())),
        );
        self.one(&stmt, tables::mail_template).await
    }

    pub(crate) async fn remove_template(&self, tenant: Uuid, kind: MessageKind, event: &Event) -> StoreResult<()> {
        let stmt = Query::delete()
            .from_table(MailTemplates::Table)
            .and_where(Expr::col(MailTemplates::TenantId).eq(tenant))
            .and_where(Expr::col(MailTemplates::Kind).eq(kind.as_str()))
            .to_owned();
        self.write_with(&stmt, event, Some("template")).await.map(drop)
    }

    pub(crate) async fn devices_of(&self, tenant: Uuid, user: Uuid) -> StoreResult<Vec<DeviceCredential>> {
        let mut stmt = rows_where(
            DeviceCredentials::Table,
            Expr::col(DeviceCredentials::TenantId).eq(tenant).and(Expr::col(DeviceCredentials::UserId).eq(user)),
        );
        stmt.order_by(DeviceCredentials::Id, sea_query::Order::Asc);
        self.all(&stmt, tables::device_credential).await
    }

    pub(crate) async fn device(&self, tenant: Uuid, id: Uuid) -> StoreResult<Option<DeviceCredential>> {
        let stmt = rows_where(
            DeviceCredentials::Table,
            Expr::col(DeviceCredentials::TenantId).eq(tenant).and(Expr::col(DeviceCredentials::Id).eq(id)),
        );
        self.one(&stmt, tables::device_credential).await
    }

    pub(crate) async fn revoke_device(
        &self,
        tenant: Uuid,
        user: Uuid,
        id: Uuid,
        at: Time,
        event: &Event,
    ) -> StoreResult<()> {
        let stmt = Query::update()
            .table(DeviceCredentials::Table)
            .value(DeviceCredentials::RevokedAt, tables::millis(at))
            .and_where(Expr::col(DeviceCredentials::TenantId).eq(tenant))
            .and_where(Expr::col(DeviceCredentials::UserId).eq(user))
            .and_where(Expr::col(DeviceCredentials::Id).eq(id))
            .and_where(Expr::col(DeviceCredentials::RevokedAt).is_null())
            .to_owned();
        self.write_with(&stmt, event, Some("device")).await.map(drop)
    }

    pub(crate) async fn touch_device(&self, id: Uuid, at: Time) -> StoreResult<()> {
        let stmt = Query::update()
            .table(DeviceCredentials::Table)
            .value(DeviceCredentials::LastUsedAt, tables::millis(at))
            .and_where(Expr::col(DeviceCredentials::Id).eq(id))
            .to_owned();
        self.write(&stmt).await.map(drop)
    }

    pub(crate) async fn put_challenge(&self, c: &Challenge) -> StoreResult<()> {
        let stmt = insert_row(
            DeviceChallenges::Table,
            [
                (DeviceChallenges::Id, c.id.into()),
                (DeviceChallenges::TenantId, c.tenant_id.into()),
                (DeviceChallenges::CredentialId, c.credential_id.into()),
                (DeviceChallenges::Nonce, c.text.as_bytes().to_vec().into()),
                (DeviceChallenges::ExpiresAt, tables::millis(c.expires).into()),
            ],
        )?;
        self.write(&stmt).await.map(drop)
    }

    pub(crate) async fn use_challenge(&self, id: Uuid, at: Time) -> StoreResult<Option<Challenge>> {
        let stmt = Query::update()
            .table(DeviceChallenges::Table)
            .value(DeviceChallenges::UsedAt, tables::millis(at))
            .and_where(Expr::col(DeviceChallenges::Id).eq(id))
            .and_where(Expr::col(DeviceChallenges::UsedAt).is_null())
            .and_where(Expr::col(DeviceChallenges::ExpiresAt).gt(tables::millis(at)))
            .returning_all()
            .to_owned();
        let mut tx = self.begin().await?;
        let row = tx.exec().fetch_optional(&stmt).await?;
        tx.commit().await?;
        row.as_ref().map(tables::challenge).transpose()
    }

    pub(crate) async fn prune_ended(&self, before: Time) -> StoreResult<u64> {
        let ms = tables::millis(before);
        let challenges = Query::delete()
            .from_table(DeviceChallenges::Table)
            .and_where(Expr::col(DeviceChallenges::ExpiresAt).lt(ms))
            .to_owned();
        let tokens = Query::delete()
            .from_table(OneTimeTokens::Table)
            .and_where(Expr::col(OneTimeTokens::ExpiresAt).lt(ms))
            .to_owned();
        Ok(self.write(&challenges).await? + self.write(&tokens).await?)
    }
}

/// The messages queued since `since` for the user (when named) and for the tenant, each counted
/// up to its cap.
async fn count_recent(
    x: &mut Exec<'_>,
    tenant: Uuid,
    user: Option<Uuid>,
    since: Time,
    caps: (u32, u32),
) -> StoreResult<(u64, u64)> {
    let count = |cond: sea_query::SimpleExpr, cap: u32| {
        let recent = Query::select()
            .expr(Expr::val(1))
            .from(Outbox::Table)
            .and_where(cond)
            .and_where(Expr::col(Outbox::CreatedAt).gte(tables::millis(since)))
            .limit(u64::from(cap))
            .to_owned();
        Query::select()
            .expr_as(Expr::cust("count(*)"), sea_query::Alias::new("n"))
            .from_subquery(recent, sea_query::Alias::new("recent"))
            .to_owned()
    };
    let n = |r: Option<crate::exec::Row>| -> StoreResult<u64> {
        Ok(r.map(|r| r.i64("n")).transpose()?.unwrap_or(0).max(0) as u64)
    };
    let per_user = match user {
        Some(u) => n(x.fetch_optional(&count(Expr::col(Outbox::UserId).eq(u), caps.0)).await?)?,
        None => 0,
    };
    let per_tenant = n(x.fetch_optional(&count(Expr::col(Outbox::TenantId).eq(tenant), caps.1)).await?)?;
    Ok((per_user, per_tenant))
}
