//! A synthetic organisation for `roster import`: users with names, emails, titles, locations and
//! claims, in nested groups (a root, divisions, departments, on-call rotas), as NDJSON.
//! The names and attributes are the same for a given size, so runs compare; ids are fresh.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::io::Write;

const GIVEN: &[&str] = &[
    "ada", "ahmed", "aiko", "alba", "amara", "anil", "astrid", "beatriz", "bo", "carmen", "chen", "dara", "dmitri",
    "elena", "emeka", "fatima", "felix", "freya", "gustavo", "hana", "ines", "ivan", "jamal", "jin", "kai", "karin",
    "kofi", "lars", "leila", "luca", "maria", "mateo", "mei", "nadia", "nikos", "noor", "olga", "omar", "pablo",
    "priya", "quentin", "rahul", "rosa", "sanjay", "sofia", "tariq", "tomas", "uma", "vera", "wei", "yara", "zoe",
];
const FAMILY: &[&str] = &[
    "abbott",
    "adeyemi",
    "alvarez",
    "andersen",
    "bauer",
    "bianchi",
    "brennan",
    "castro",
    "chowdhury",
    "dubois",
    "eriksen",
    "fischer",
    "garcia",
    "haddad",
    "ito",
    "jensen",
    "kaur",
    "kim",
    "kowalski",
    "larsen",
    "lopez",
    "mbeki",
    "moreau",
    "nakamura",
    "novak",
    "okafor",
    "olsen",
    "park",
    "patel",
    "petrov",
    "quinn",
    "rossi",
    "sato",
    "schmidt",
    "silva",
    "singh",
    "tanaka",
    "torres",
    "ueda",
    "van-dijk",
    "wagner",
    "walsh",
    "wong",
    "yilmaz",
    "zhang",
    "ziegler",
];
const DIVISIONS: &[&str] = &[
    "engineering",
    "sales",
    "operations",
    "finance",
    "people",
    "legal",
    "marketing",
    "support",
    "research",
    "security",
];
const TITLES: &[&str] =
    &["associate", "analyst", "engineer", "senior engineer", "lead", "manager", "director", "specialist"];
const CITIES: &[(&str, &str)] = &[
    ("Leeds", "GB"),
    ("Lyon", "FR"),
    ("Porto", "PT"),
    ("Osaka", "JP"),
    ("Austin", "US"),
    ("Pune", "IN"),
    ("Gdansk", "PL"),
    ("Lagos", "NG"),
    ("Recife", "BR"),
    ("Tartu", "EE"),
];
/// Departments per division.
const DEPARTMENTS: usize = 10;

/// A user's position in the list: which department it works in.
fn department(i: usize) -> (usize, usize) {
    let d = i % (DIVISIONS.len() * DEPARTMENTS);
    (d / DEPARTMENTS, d % DEPARTMENTS)
}

/// The user name of the `i`th user: `given.family.i` (so prefixes like `maria.g` select about one
/// user in 2,500).
pub fn user_name(rng: &mut StdRng, i: usize) -> String {
    let given = GIVEN[rng.gen_range(0..GIVEN.len())];
    let family = FAMILY[rng.gen_range(0..FAMILY.len())];
    format!("{given}.{family}.{i}")
}

/// Writes the groups then `users` users as NDJSON to `out`, and each user's `id user_name
/// has_password` to `ids`. Every `password_every`th user gets `password_hash` (one PHC string
/// shared by all of them: hashing a million salts would take hours and measure nothing here).
pub fn write(
    users: usize,
    password_every: usize,
    password_hash: &str,
    out: &mut impl Write,
    ids: &mut impl Write,
) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(20261205);
    writeln!(out, "{}", json!({"type": "group", "name": "all-staff", "description": "Everyone"}))?;
    for (d, division) in DIVISIONS.iter().enumerate() {
        let group = json!({"type": "group", "name": division, "display_name": format!("Division {}", d + 1),
            "groups": ["all-staff"]});
        writeln!(out, "{group}")?;
        let rota = json!({"type": "group", "name": format!("{division}-on-call"), "groups": [division]});
        writeln!(out, "{rota}")?;
        for k in 0..DEPARTMENTS {
            let dept = json!({"type": "group", "name": format!("{division}-{k}"), "groups": [division],
                "external_id": format!("dept-{d}{k}")});
            writeln!(out, "{dept}")?;
        }
    }
    for i in 0..users {
        let name = user_name(&mut rng, i);
        let (given, rest) = name.split_once('.').unwrap_or((&name, ""));
        let family = rest.split('.').next().unwrap_or_default();
        let (div, dept) = department(i);
        let (city, country) = CITIES[rng.gen_range(0..CITIES.len())];
        // Fresh ids in creation order, as the server would make them.
        let id = uuid::Uuid::now_v7();
        let mut groups = vec![format!("{}-{dept}", DIVISIONS[div])];
        if i % 7 == 0 {
            groups.push(format!("{}-on-call", DIVISIONS[div]));
        }
        let with_password = password_every > 0 && i % password_every == 0;
        let mut user = json!({
            "type": "user", "id": id, "user_name": name,
            "email": format!("{name}@corp.example"), "email_verified": i % 3 != 0,
            "given_name": capitalise(given), "family_name": capitalise(family),
            "display_name": format!("{} {}", capitalise(given), capitalise(family)),
            "external_id": format!("hr-{i:07}"),
            "claims": {
                "department": format!("{}-{dept}", DIVISIONS[div]), "title": TITLES[rng.gen_range(0..TITLES.len())],
                "location": {"city": city, "country": country}, "employee_number": i,
                "cost_center": format!("CC-{:03}", rng.gen_range(0..400)),
            },
            "groups": groups,
        });
        if with_password {
            user["password_hash"] = password_hash.into();
        }
        writeln!(out, "{user}")?;
        writeln!(ids, "{id} {name} {}", u8::from(with_password))?;
    }
    out.flush()?;
    ids.flush()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
