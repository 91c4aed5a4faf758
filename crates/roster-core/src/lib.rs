//! Roster's directory core: the model, the rules every face shares, the filter language and the storage port.
//!
//! Nothing here speaks HTTP or SQL. Faces translate their wire formats into calls on [`Directory`];
//! the store implements [`Store`].

pub mod access;
pub mod access_policies;
pub mod apikey;
pub mod audit;
pub mod authz;
pub mod claim_users;
pub mod claims;
pub mod connectors;
mod credentials;
pub mod devices;
pub mod directory;
pub mod enrollment;
pub mod error;
pub mod events;
pub mod filter;
pub mod import;
mod key_sessions;
pub mod lockout;
pub mod mail;
pub mod model;
pub mod names;
pub mod page;
pub mod password;
pub mod roles;
pub mod schema;
pub mod sealing;
pub mod secrets;
mod sessions;
pub mod store;
pub mod throttle;
pub mod token;
mod validate;
pub mod workstations;

pub use directory::{Caller, Directory};
pub use error::{CoreError, FieldError};
pub use store::{Store, StoreError};
