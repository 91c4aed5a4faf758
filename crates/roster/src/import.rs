//! `roster import`: users and groups from an NDJSON or CSV file, checked whole, then written in
//! batched transactions by the core's import. The file is read twice, streamed both times.

use crate::Error;
use roster_core::import::{Import, ImportGroup, ImportUser, LineError, Record, Summary};
use roster_core::model::{empty_object, GroupSpec, UserSpec, UserStatus};
use roster_core::CoreError;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use uuid::Uuid;

/// The longest NDJSON line taken (a user with large claims fits many times over).
const MAX_LINE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// The format a file's name says (`.csv`; anything else is NDJSON).
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Ndjson,
        }
    }
}

/// One NDJSON line: `{"type": "user", ...}` or `{"type": "group", ...}`.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    User(Box<UserLine>),
    Group(GroupLine),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UserLine {
    id: Option<Uuid>,
    user_name: String,
    external_id: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    status: UserStatus,
    claims: Option<serde_json::Value>,
    unix_user_name: Option<String>,
    unix_home_directory: Option<String>,
    user_principal_name: Option<String>,
    domain_name: Option<String>,
    #[serde(default)]
    guest: bool,
    /// An argon2id PHC string.
    password_hash: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GroupLine {
    name: String,
    external_id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl From<UserLine> for Record {
    fn from(u: UserLine) -> Record {
        Record::User(Box::new(ImportUser {
            id: u.id,
            spec: UserSpec {
                user_name: u.user_name,
                external_id: u.external_id,
                display_name: u.display_name,
                given_name: u.given_name,
                family_name: u.family_name,
                email: u.email,
                email_verified: u.email_verified,
                status: u.status,
                claims: u.claims.unwrap_or_else(empty_object),
                unix_user_name: u.unix_user_name,
                unix_home_directory: u.unix_home_directory,
                user_principal_name: u.user_principal_name,
                domain_name: u.domain_name,
                guest: u.guest,
                ..UserSpec::default()
            },
            password_hash: u.password_hash,
            groups: u.groups,
        }))
    }
}

impl From<GroupLine> for Record {
    fn from(g: GroupLine) -> Record {
        Record::Group(ImportGroup {
            spec: GroupSpec {
                name: g.name,
                external_id: g.external_id,
                display_name: g.display_name,
                description: g.description,
            },
            groups: g.groups,
        })
    }
}

/// One CSV row. The header names the columns (any subset, in any order); `type` is `user`
/// (the default) or `group`; `groups` lists group names separated by `;`; `claims` is a JSON object.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    id: Option<Uuid>,
    user_name: Option<String>,
    name: Option<String>,
    external_id: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    status: Option<UserStatus>,
    claims: Option<String>,
    description: Option<String>,
    password_hash: Option<String>,
    groups: Option<String>,
}

fn split_groups(groups: Option<String>) -> Vec<String> {
    groups
        .map(|g| g.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

impl TryFrom<CsvRow> for Record {
    type Error = CoreError;

    fn try_from(r: CsvRow) -> Result<Record, CoreError> {
        let user_only = [("user_name", r.user_name.is_some()), ("given_name", r.given_name.is_some())]
            .into_iter()
            .chain([("family_name", r.family_name.is_some()), ("email", r.email.is_some())])
            .chain([("password_hash", r.password_hash.is_some()), ("claims", r.claims.is_some())]);
        match r.kind.as_deref().unwrap_or("user") {
            "group" => {
                if let Some((column, _)) = user_only.into_iter().find(|(_, set)| *set) {
                    return Err(CoreError::invalid(column, "is for users, not groups"));
                }
                let name = r.name.ok_or_else(|| CoreError::invalid("name", "a group needs a name"))?;
                Ok(GroupLine {
                    name,
                    external_id: r.external_id,
                    display_name: r.display_name,
                    description: r.description,
                    groups: split_groups(r.groups),
                }
                .into())
            }
            "user" | "" => {
                if r.name.is_some() || r.description.is_some() {
                    return Err(CoreError::invalid(
                        "name",
                        "name and description are for groups; a user has user_name",
                    ));
                }
                let claims = match r.claims.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(text) => Some(
                        serde_json::from_str(text)
                            .map_err(|e| CoreError::invalid("claims", format!("not JSON: {e}")))?,
                    ),
                };
                Ok(UserLine {
                    id: r.id,
                    user_name: r.user_name.unwrap_or_default(),
                    external_id: r.external_id,
                    display_name: r.display_name,
                    given_name: r.given_name,
                    family_name: r.family_name,
                    email: r.email,
                    email_verified: r.email_verified.unwrap_or(false),
                    status: r.status.unwrap_or_default(),
                    claims,
                    password_hash: r.password_hash,
                    groups: split_groups(r.groups),
                    ..UserLine::default()
                }
                .into())
            }
            other => Err(CoreError::invalid("type", format!("'{other}' is neither user nor group"))),
        }
    }
}

/// The records of a file with their line numbers, read as they are asked for.
enum Records {
    Ndjson { reader: BufReader<std::fs::File>, buf: Vec<u8>, line: u64 },
    Csv { reader: Box<csv::Reader<BufReader<std::fs::File>>>, headers: csv::StringRecord, row: csv::StringRecord },
}

fn file_error(line: u64) -> impl Fn(String) -> LineError {
    move |e| LineError { line, error: CoreError::invalid("file", e) }
}

impl Records {
    fn open(path: &Path, format: Format) -> Result<Records, LineError> {
        let file = std::fs::File::open(path).map_err(|e| file_error(0)(e.to_string()))?;
        let reader = BufReader::with_capacity(256 * 1024, file);
        Ok(match format {
            Format::Ndjson => Records::Ndjson { reader, buf: Vec::new(), line: 0 },
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(reader);
                let headers = reader.headers().map_err(|e| file_error(1)(e.to_string()))?.clone();
                Records::Csv { reader: Box::new(reader), headers, row: csv::StringRecord::new() }
            }
        })
    }

    fn next_record(&mut self) -> Result<Option<(u64, Record)>, LineError> {
        match self {
            Records::Ndjson { reader, buf, line } => loop {
                buf.clear();
                *line += 1;
                let at = file_error(*line);
                let n = reader.take(MAX_LINE_BYTES + 1).read_until(b'\n', buf).map_err(|e| at(e.to_string()))?;
                if n == 0 {
                    return Ok(None);
                }
                if n as u64 > MAX_LINE_BYTES {
                    return Err(at(format!("longer than {MAX_LINE_BYTES} bytes")));
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let record = match serde_json::from_slice(buf).map_err(|e| at(e.to_string()))? {
                    Line::User(u) => (*u).into(),
                    Line::Group(g) => g.into(),
                };
                return Ok(Some((*line, record)));
            },
            Records::Csv { reader, headers, row } => {
                let more = reader.read_record(row).map_err(|e| {
                    let line = e.position().map_or(0, |p| p.line());
                    file_error(line)(e.to_string())
                })?;
                if !more {
                    return Ok(None);
                }
                let line = row.position().map_or(0, |p| p.line());
                let parsed: CsvRow = row.deserialize(Some(headers)).map_err(|e| file_error(line)(e.to_string()))?;
                let record = Record::try_from(parsed).map_err(|error| LineError { line, error })?;
                Ok(Some((line, record)))
            }
        }
    }
}

/// Checks the whole file, then (unless `dry_run`) writes it; answers what was (or would be) written.
pub async fn run(mut import: Import<'_>, path: &Path, format: Format, dry_run: bool) -> Result<Summary, Error> {
    let untouched = |e: LineError| Error::Other(format!("{e}; nothing was written"));
    let mut records = Records::open(path, format).map_err(untouched)?;
    while let Some((line, record)) = records.next_record().map_err(untouched)? {
        import.check(line, record).await.map_err(untouched)?;
    }
    let planned = import.checked().await.map_err(untouched)?;
    if dry_run {
        return Ok(planned);
    }
    let mut records = Records::open(path, format).map_err(untouched)?;
    let written: Result<(), LineError> = async {
        while let Some((line, record)) = records.next_record()? {
            import.write(line, record).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = written {
        let so_far = import.written();
        return Err(Error::Other(if so_far.batches == 0 {
            format!("{e}; nothing was written")
        } else {
            format!(
                "{e}; the {} transactions before it stay written ({} users, {} groups)",
                so_far.batches, so_far.users, so_far.groups
            )
        }));
    }
    import.finish().await.map_err(|e| Error::Other(e.to_string()))
}
