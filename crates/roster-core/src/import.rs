//! Bulk import of users and groups (`roster import`): every record is checked before any is
//! written, then the groups are written in one transaction and the users in batches of
//! [`BATCH`] (or as many as the face asks), each batch one transaction with one audit event.
//!
//! A face reads its file twice: once through [`Import::check`] and [`Import::checked`], then
//! again through [`Import::write`] and [`Import::finish`]. Records name groups by name, since
//! their ids are made here; a record's `groups` are the groups it joins.

use crate::access::Permission;
use crate::directory::{Caller, Directory};
use crate::error::{CoreError, FieldError};
use crate::events::{EventData, EventType};
use crate::filter::{attr_test, CmpOp, Filter, MAX_IN_VALUES};
use crate::model::{self, Deleted, GroupSpec, UserSpec};
use crate::page::{ListQuery, Sort};
use crate::schema::Resource;
use crate::store::ImportBatch;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Users written per transaction by default: large enough that each commit rewrites an index
/// page for many users (on a million users, a batch of 1,000 took twice as long as 10,000), small
/// enough that other writers wait about a second at most.
pub const BATCH: usize = 10_000;
/// The largest batch a face may ask for.
pub const MAX_BATCH: usize = 100_000;
/// Unique values looked up in the store per query during the check.
const LOOKUP: usize = 1000;
/// Users an import writes before it refreshes the planner's statistics.
const ANALYZE_AFTER: u64 = 10_000;
/// Groups one record may join.
const MAX_GROUPS_PER_RECORD: usize = 100;
/// Groups one import may create.
const MAX_GROUPS: usize = 100_000;

/// A user to import.
#[derive(Debug, Clone)]
pub struct ImportUser {
    /// Keeps the user's id from the system it comes from; a fresh UUIDv7 otherwise.
    pub id: Option<Uuid>,
    pub spec: UserSpec,
    /// The password as a PHC string (argon2id), written as it is: nobody's password is re-hashed.
    pub password_hash: Option<String>,
    /// Names of the groups the user joins.
    pub groups: Vec<String>,
}

/// A group to import.
#[derive(Debug, Clone)]
pub struct ImportGroup {
    pub spec: GroupSpec,
    /// Names of the groups this group joins (nested groups).
    pub groups: Vec<String>,
}

/// One record of an import file.
#[derive(Debug, Clone)]
pub enum Record {
    User(Box<ImportUser>),
    Group(ImportGroup),
}

/// A refused import, naming the line of the record at fault.
#[derive(Debug)]
pub struct LineError {
    pub line: u64,
    pub error: CoreError,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Line 0: the fault is the import's, not one record's (the store failed, the file is gone).
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        match &self.error {
            CoreError::Validation(fields) => {
                let parts: Vec<String> = fields.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                f.write_str(&parts.join("; "))
            }
            other => write!(f, "{other}"),
        }
    }
}

impl std::error::Error for LineError {}

/// What an import wrote (or, after checking, would write).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub passwords: u64,
    /// Transactions committed.
    pub batches: u64,
}

impl std::ops::AddAssign for Summary {
    fn add_assign(&mut self, other: Summary) {
        self.users += other.users;
        self.groups += other.groups;
        self.memberships += other.memberships;
        self.passwords += other.passwords;
        self.batches += other.batches;
    }
}

/// A user's unique values, waiting to be looked up in the store.
struct Keys {
    line: u64,
    id: Option<Uuid>,
    user_name: String,
    email: Option<String>,
    external_id: Option<String>,
}

/// One import, from its first check to its last batch.
pub struct Import<'a> {
    dir: &'a Directory,
    caller: &'a Caller,
    /// Every unique value of the file: 128 bits of SHA-256 of (field, value), the field and the
    /// line. Sorted once at the end of the first pass, so a million users take 84 MB, not a
    /// hash map's three times that.
    seen: Vec<([u8; 16], Unique, u32)>,
    pending: Vec<Keys>,
    /// Groups the file defines, by name key: their line, id, spec and the groups they join.
    defined: BTreeMap<String, (u64, Uuid, ImportGroup)>,
    /// Groups the file's records join, by name key, and the first line that names each.
    wanted: BTreeMap<String, u64>,
    /// Every group name the file uses, resolved to an id after checking.
    group_ids: HashMap<String, Uuid>,
    /// What the first pass found.
    planned: Summary,
    groups_written: bool,
    batch: ImportBatch,
    batch_size: usize,
    lines: (u64, u64),
    done: Summary,
}

/// The fields whose values must be unique within a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unique {
    UserName,
    Email,
    ExternalId,
    Id,
    GroupName,
    GroupExternalId,
}

impl Unique {
    fn field(self) -> &'static str {
        match self {
            Unique::UserName => "user_name",
            Unique::Email => "email",
            Unique::ExternalId => "external_id",
            Unique::Id => "id",
            Unique::GroupName => "name",
            Unique::GroupExternalId => "group external_id",
        }
    }
}

fn fingerprint(field: Unique, key: &str) -> [u8; 16] {
    let digest = Sha256::new().chain_update([field as u8]).chain_update(key).finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    first
}

fn at_line(line: u64) -> impl Fn(CoreError) -> LineError {
    move |error| LineError { line, error }
}

impl Directory {
    /// Starts an import for the caller, who must be allowed to write users, groups and credentials.
    pub fn import<'a>(&'a self, caller: &'a Caller) -> Result<Import<'a>, CoreError> {
        caller.require(Permission::UsersWrite)?;
        caller.require(Permission::GroupsWrite)?;
        caller.require(Permission::CredentialsWrite)?;
        Ok(Import {
            dir: self,
            caller,
            seen: Vec::new(),
            pending: Vec::new(),
            defined: BTreeMap::new(),
            wanted: BTreeMap::new(),
            group_ids: HashMap::new(),
            planned: Summary::default(),
            groups_written: false,
            batch: ImportBatch::default(),
            batch_size: BATCH,
            lines: (0, 0),
            done: Summary::default(),
        })
    }
}

impl Import<'_> {
    /// Writes `users` users per transaction (1 to [`MAX_BATCH`]).
    pub fn batch_size(mut self, users: usize) -> Result<Self, CoreError> {
        if !(1..=MAX_BATCH).contains(&users) {
            return Err(CoreError::invalid("batch", format!("1 to {MAX_BATCH} users")));
        }
        self.batch_size = users;
        Ok(self)
    }

    /// First pass: checks one record and what it shares with the records before it.
    pub async fn check(&mut self, line: u64, record: Record) -> Result<(), LineError> {
        let fail = at_line(line);
        let mut counted = Summary::default();
        match record {
            Record::User(mut user) => {
                normalise_user(self.dir, &mut user).map_err(&fail)?;
                counted.users = 1;
                counted.memberships = user.groups.len() as u64;
                counted.passwords = u64::from(user.password_hash.is_some());
                self.join(line, &user.groups)?;
                let keys = Keys {
                    line,
                    id: user.id,
                    user_name: crate::names::login_key(&user.spec.user_name),
                    email: user.spec.email.as_deref().map(str::to_lowercase),
                    external_id: user.spec.external_id,
                };
                self.use_once(line, Unique::UserName, &keys.user_name)?;
                if let Some(email) = &keys.email {
                    self.use_once(line, Unique::Email, email)?;
                }
                if let Some(external) = &keys.external_id {
                    self.use_once(line, Unique::ExternalId, external)?;
                }
                if let Some(id) = keys.id {
                    self.use_once(line, Unique::Id, &id.to_string())?;
                }
                self.pending.push(keys);
                if self.pending.len() >= LOOKUP {
                    self.look_up_pending().await?;
                }
            }
            Record::Group(mut group) => {
                crate::validate::group(&mut group.spec).map_err(&fail)?;
                if group.groups.len() > MAX_GROUPS_PER_RECORD {
                    return Err(fail(CoreError::invalid("groups", format!("at most {MAX_GROUPS_PER_RECORD}"))));
                }
                if self.defined.len() >= MAX_GROUPS {
                    return Err(fail(CoreError::invalid(
                        "type",
                        format!("an import creates at most {MAX_GROUPS} groups"),
                    )));
                }
                let key = group.spec.name.to_lowercase();
                self.use_once(line, Unique::GroupName, &key)?;
                if let Some(ext) = &group.spec.external_id {
                    self.use_once(line, Unique::GroupExternalId, ext)?;
                }
                if group.groups.iter().any(|g| g.to_lowercase() == key) {
                    return Err(fail(CoreError::Cycle));
                }
                counted.groups = 1;
                counted.memberships = group.groups.len() as u64;
                self.join(line, &group.groups)?;
                self.defined.insert(key, (line, Uuid::now_v7(), group));
            }
        }
        self.planned += counted;
        Ok(())
    }

    /// Ends the first pass: looks up what the store already holds. Answers what the import would write.
    pub async fn checked(&mut self) -> Result<Summary, LineError> {
        self.check_duplicates()?;
        self.look_up_pending().await?;
        let tenant = self.caller.tenant_id;
        // Groups defined here must be new; groups only joined must exist.
        let names: Vec<&String> = self.wanted.keys().chain(self.defined.keys()).collect();
        for chunk in names.chunks(MAX_IN_VALUES) {
            let values: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
            for group in
                self.dir.store.list_groups(tenant, &by_name(&values)?).await.map_err(|e| at_line(0)(e.into()))?.items
            {
                let key = group.spec.name.to_lowercase();
                if let Some((line, ..)) = self.defined.get(&key) {
                    return Err(LineError { line: *line, error: CoreError::Unique { field: "group name" } });
                }
                self.group_ids.insert(key, group.id);
            }
        }
        for (key, (_, id, _)) in &self.defined {
            self.group_ids.insert(key.clone(), *id);
        }
        if let Some((key, line)) = self.wanted.iter().find(|(k, _)| !self.group_ids.contains_key(*k)) {
            return Err(LineError {
                line: *line,
                error: CoreError::invalid("groups", format!("no group named '{key}' in this tenant or in the file")),
            });
        }
        self.check_cycles()?;
        Ok(self.planned)
    }

    /// Second pass: queues one record (as the first pass saw it) and writes a batch when one is full.
    pub async fn write(&mut self, line: u64, record: Record) -> Result<(), LineError> {
        if !self.groups_written {
            self.write_groups().await?;
        }
        let Record::User(mut user) = record else { return Ok(()) };
        normalise_user(self.dir, &mut user).map_err(at_line(line))?;
        let id = user.id.unwrap_or_else(Uuid::now_v7);
        for name in &user.groups {
            let group = self.group_ids.get(&name.to_lowercase()).copied();
            let group = group
                .ok_or_else(|| at_line(line)(CoreError::Conflict("the file changed since it was checked".into())))?;
            self.batch.members.push((group, id));
        }
        self.batch.users.push((id, user.spec, user.password_hash));
        if self.lines.0 == 0 {
            self.lines.0 = line;
        }
        self.lines.1 = line;
        if self.batch.users.len() >= self.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the last batch; answers what the import wrote.
    pub async fn finish(mut self) -> Result<Summary, LineError> {
        if !self.groups_written {
            self.write_groups().await?;
        }
        self.flush().await?;
        if self.done.users >= ANALYZE_AFTER {
            // Fresh statistics, so the first queries over the new users plan well.
            self.dir.store.analyze().await.map_err(|e| at_line(0)(e.into()))?;
        }
        self.dir.store.checkpoint().await.map_err(|e| at_line(0)(e.into()))?;
        Ok(self.done)
    }

    /// What the import has written so far (after a failure: what stays written).
    pub fn written(&self) -> Summary {
        self.done
    }

    fn use_once(&mut self, line: u64, field: Unique, key: &str) -> Result<(), LineError> {
        let line32 = u32::try_from(line)
            .map_err(|_| at_line(line)(CoreError::invalid("file", format!("more than {} lines", u32::MAX))))?;
        self.seen.push((fingerprint(field, key), field, line32));
        Ok(())
    }

    /// Refuses a value used twice in the file, naming both lines.
    fn check_duplicates(&mut self) -> Result<(), LineError> {
        self.seen.sort_unstable();
        let twice =
            self.seen.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| (w[0].1, w[0].2.min(w[1].2), w[0].2.max(w[1].2)));
        if let Some((field, first, again)) = twice.min_by_key(|(_, _, again)| *again) {
            return Err(at_line(u64::from(again))(CoreError::invalid(
                field.field(),
                format!("is already used on line {first}"),
            )));
        }
        self.seen = Vec::new();
        Ok(())
    }

    fn join(&mut self, line: u64, groups: &[String]) -> Result<(), LineError> {
        if groups.len() > MAX_GROUPS_PER_RECORD {
            return Err(at_line(line)(CoreError::invalid("groups", format!("at most {MAX_GROUPS_PER_RECORD}"))));
        }
        let mut keys: Vec<String> = groups.iter().map(|g| g.to_lowercase()).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Err(at_line(line)(CoreError::invalid("groups", "names a group twice")));
        }
        for key in keys {
            self.wanted.entry(key).or_insert(line);
        }
        Ok(())
    }

    /// Refuses the import when users already hold any of the pending unique values.
    async fn look_up_pending(&mut self) -> Result<(), LineError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let names: Vec<&str> = pending.iter().map(|k| k.user_name.as_str()).collect();
        let emails: Vec<&str> = pending.iter().filter_map(|k| k.email.as_deref()).collect();
        let external: Vec<&str> = pending.iter().filter_map(|k| k.external_id.as_deref()).collect();
        let ids: Vec<Uuid> = pending.iter().filter_map(|k| k.id).collect();
        let taken = self
            .dir
            .store
            .taken_user_keys(self.caller.tenant_id, &names, &emails, &external, &ids)
            .await
            .map_err(|e| at_line(pending[0].line)(e.into()))?;
        if let Some((field, value)) = taken.into_iter().next() {
            let line = pending
                .iter()
                .find(|k| match field {
                    "user_name" => k.user_name == value,
                    "email" => k.email.as_deref() == Some(value.as_str()),
                    "external_id" => k.external_id.as_deref() == Some(value.as_str()),
                    _ => k.id.map(|id| id.to_string()).as_deref() == Some(value.as_str()),
                })
                .map_or(pending[0].line, |k| k.line);
            return Err(LineError { line, error: CoreError::Unique { field } });
        }
        Ok(())
    }

    /// Nested groups: a group defined here may join only groups that do not, through the file's
    /// groups, join it (groups that exist already join none of the file's).
    fn check_cycles(&self) -> Result<(), LineError> {
        // Depth-first over the defined groups; 1 = on the path, 2 = done.
        let mut state: HashMap<&str, u8> = HashMap::new();
        for start in self.defined.keys() {
            let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
            while let Some((node, next)) = stack.pop() {
                let Some((line, _, group)) = self.defined.get(node) else { continue };
                if next == 0 {
                    match state.get(node) {
                        Some(2) => continue,
                        _ => {
                            state.insert(node, 1);
                        }
                    }
                }
                if let Some(parent) = group.groups.get(next) {
                    stack.push((node, next + 1));
                    let key = self.defined.get_key_value(&parent.to_lowercase()).map(|(k, _)| k.as_str());
                    match key.map(|k| (k, state.get(k).copied())) {
                        Some((_, Some(1))) => return Err(LineError { line: *line, error: CoreError::Cycle }),
                        Some((k, None)) => stack.push((k, 0)),
                        _ => {}
                    }
                } else {
                    state.insert(node, 2);
                }
            }
        }
        Ok(())
    }

    /// The file's groups and their nesting, in one transaction before any user.
    async fn write_groups(&mut self) -> Result<(), LineError> {
        self.groups_written = true;
        if self.defined.is_empty() {
            return Ok(());
        }
        let mut batch = ImportBatch::default();
        let mut first = u64::MAX;
        let mut last = 0;
        for (line, id, group) in self.defined.values() {
            (first, last) = (first.min(*line), last.max(*line));
            batch.groups.push((*id, group.spec.clone()));
            for parent in &group.groups {
                batch.nested.push((self.group_ids[&parent.to_lowercase()], *id));
            }
        }
        self.commit(batch, (first, last)).await
    }

    async fn flush(&mut self) -> Result<(), LineError> {
        if self.batch.users.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let lines = std::mem::take(&mut self.lines);
        self.commit(batch, lines).await
    }

    async fn commit(&mut self, batch: ImportBatch, (first, last): (u64, u64)) -> Result<(), LineError> {
        let users = batch.users.len() as u64;
        let groups = batch.groups.len() as u64;
        let memberships = (batch.members.len() + batch.nested.len()) as u64;
        let passwords = batch.users.iter().filter(|u| u.2.is_some()).count() as u64;
        let event = self.caller.event(
            EventType::Import,
            EventData::Import { users, groups, memberships, passwords, first_line: first, last_line: last },
        );
        self.dir
            .store
            .import(self.caller.tenant_id, &batch, model::now(), &event)
            .await
            .map_err(|e| at_line(first)(e.into()))?;
        self.done += Summary { users, groups, memberships, passwords, batches: 1 };
        Ok(())
    }
}

/// The checks and normal form of a user created any other way, and a usable password hash.
fn normalise_user(dir: &Directory, user: &mut ImportUser) -> Result<(), CoreError> {
    crate::connectors::check_directory_edit(&UserSpec::default(), &mut user.spec)?;
    crate::validate::user(&mut user.spec, None)?;
    let mut errors = Vec::new();
    if let Some(hash) = &user.password_hash {
        if !dir.hasher.accepts(hash) {
            errors.push(FieldError::new("password_hash", "is not an argon2id hash in PHC form ($argon2id$v=19$m=...)"));
        }
    }
    if user.spec.guest && !user.groups.is_empty() {
        errors.push(FieldError::new("groups", "a guest cannot be put in groups"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(errors))
    }
}

/// The groups with these name keys, deleted ones included (their names are still taken).
fn by_name(names: &[&str]) -> Result<ListQuery, LineError> {
    let filter: Filter = attr_test(Resource::Group, "name", CmpOp::Eq, names).map_err(|e| at_line(0)(e.into()))?;
    Ok(ListQuery {
        filter: Some(filter),
        sort: Sort::parse(None, Resource::Group).map_err(|e| at_line(0)(e))?,
        limit: names.len() as u32,
        after: None,
        offset: 0,
        count: false,
        deleted: Deleted::Include,
    })
}
