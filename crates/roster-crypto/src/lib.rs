//! Roster's cryptographic adapters: argon2id password hashing on a bounded pool of low-priority
//! threads, so a login storm can neither starve the request threads nor exhaust memory; and
//! ES256 tokens.

mod jwt;
mod seal;
pub use jwt::{generate_key, rotate as rotate_signing_key, JwtService};
pub use seal::SecretKey;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use roster_core::password::PasswordHasher;
use roster_core::CoreError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::{oneshot, Semaphore};

/// Argon2id cost and the pool's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashConfig {
    /// Memory per hash in KiB (OWASP: 19456).
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once; each holds `memory_kib` while it runs.
    pub max_concurrent: usize,
    /// Hashes allowed to wait for a slot; beyond that callers are told the server is busy.
    pub max_waiting: usize,
}

impl Default for HashConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        HashConfig { memory_kib: 19_456, iterations: 2, parallelism: 1, max_concurrent: cores, max_waiting: 256 }
    }
}

/// How much the hashing threads yield to the request threads: a Linux nice value of about 10
/// (scheduler weight 110 against 1024), so reads stay fast in a login storm while hashing
/// still gets every idle cycle.
const HASH_THREAD_PRIORITY: u8 = 0;

type Job = Box<dyn FnOnce() + Send>;

/// Starts the threads that compute hashes; they stop when the sender is dropped.
fn start_pool(threads: usize) -> Result<mpsc::Sender<Job>, String> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for i in 0..threads {
        let queue = Arc::clone(&queue);
        std::thread::Builder::new()
            .name(format!("roster-hash-{i}"))
            .spawn(move || {
                let lowered = thread_priority::ThreadPriorityValue::try_from(HASH_THREAD_PRIORITY)
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Crossplatform(v))
                            .map_err(|e| e.to_string())
                    });
                if let Err(e) = lowered {
                    tracing::warn!(error = %e, "password hashing runs at normal priority");
                }
                loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .map_err(|e| format!("cannot start a password hashing thread: {e}"))?;
    }
    Ok(jobs)
}

pub struct Argon2Hasher {
    argon: Argon2<'static>,
    jobs: mpsc::Sender<Job>,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher").field("params", self.argon.params()).finish()
    }
}

impl Argon2Hasher {
    pub fn new(config: HashConfig) -> Result<Argon2Hasher, String> {
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None)
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        let threads = config.max_concurrent.max(1);
        Ok(Argon2Hasher {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            jobs: start_pool(threads)?,
            slots: Arc::new(Semaphore::new(threads)),
            waiting: AtomicUsize::new(0),
            max_waiting: config.max_waiting,
        })
    }

    /// Runs one hash computation on the hashing threads once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, CoreError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(CoreError::Busy);
        }
        let permit = self.slots.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit.map_err(|_| CoreError::Internal("password hashing pool closed".into()))?;
        let argon = self.argon.clone();
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work(&argon));
            drop(permit);
        });
        let lost = || CoreError::Internal("password hashing threads are gone".into());
        self.jobs.send(job).map_err(|_| lost())?;
        result.await.map_err(|_| lost())
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, CoreError> {
        let password = password.to_owned();
        self.run(move |argon| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon.hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
        })
        .await?
        .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, CoreError> {
        let (password, phc) = (password.to_owned(), phc.to_owned());
        // The parameters come from the stored string, so hashes made under older settings still verify.
        self.run(move |argon| match PasswordHash::new(&phc) {
            Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        })
        .await
    }

    fn accepts(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else { return false };
        let Ok(params) = Params::try_from(&parsed) else { return false };
        parsed.algorithm == Algorithm::Argon2id.ident()
            && parsed.version == Some(Version::V0x13 as u32)
            && parsed.salt.is_some()
            && parsed.hash.is_some_and(|h| h.len() >= 16)
            // A sign-in verifies with the hash's own cost: bound it, so one imported hash cannot
            // make every sign-in of its user take a gigabyte or a minute.
            && params.m_cost() <= MAX_ACCEPTED_MEMORY_KIB
            && params.t_cost() <= MAX_ACCEPTED_ITERATIONS
            && params.p_cost() <= MAX_ACCEPTED_PARALLELISM
    }
}

/// The highest costs of a hash made elsewhere that Roster takes (argon2's recommendations top
/// out at 2 GiB with one pass; the common settings are 19-64 MiB).
const MAX_ACCEPTED_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ACCEPTED_ITERATIONS: u32 = 16;
const MAX_ACCEPTED_PARALLELISM: u32 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(max_concurrent: usize, max_waiting: usize) -> Argon2Hasher {
        Argon2Hasher::new(HashConfig { memory_kib: 1024, iterations: 1, parallelism: 1, max_concurrent, max_waiting })
            .unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_salted_and_verify() {
        let h = Argon2Hasher::new(HashConfig::default()).unwrap();
        let a = h.hash("correct horse").await.unwrap();
        let b = h.hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(h.verify("correct horse", &a).await.unwrap());
        assert!(!h.verify("correct horsf", &a).await.unwrap());
        assert!(!h.verify("correct horse", "not a phc string").await.unwrap());
        // A hash made with other parameters still verifies.
        assert!(cheap(1, 1).verify("correct horse", &a).await.unwrap());
    }

    #[tokio::test]
    async fn accepts_argon2id_hashes_within_bounds_only() {
        let h = cheap(1, 1);
        let made = h.hash("correct horse").await.unwrap();
        assert!(h.accepts(&made));
        let (salt, hash) = made.rsplit_once('$').map(|(head, hash)| (head.rsplit_once('$').unwrap().1, hash)).unwrap();
        let with = |head: &str| format!("{head}${salt}${hash}");
        assert!(h.accepts(&with("$argon2id$v=19$m=65536,t=3,p=4")));
        for refused in [
            with("$argon2i$v=19$m=1024,t=1,p=1"),
            with("$argon2d$v=19$m=1024,t=1,p=1"),
            with("$argon2id$v=16$m=1024,t=1,p=1"),
            with("$argon2id$v=19$m=4194304,t=1,p=1"),
            with("$argon2id$v=19$m=1024,t=100,p=1"),
            format!("$argon2id$v=19$m=1024,t=1,p=1${salt}"),
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".into(),
            "plain text".into(),
            String::new(),
        ] {
            assert!(!h.accepts(&refused), "{refused}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_queue_is_bounded() {
        let h = Arc::new(cheap(1, 2));
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let h = h.clone();
                tokio::spawn(async move { h.hash(&format!("pw{i}")).await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => done += 1,
                Err(CoreError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(done >= 3, "{done}");
        assert!(busy > 0, "40 hashes at once with one slot and two waiting should turn some away");
    }
}
