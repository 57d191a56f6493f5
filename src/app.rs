//! The application state shared by the API, the workers and the CLI: database, object
//! store, pipeline and configuration, opened once from a [`Config`].

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::Db;
use crate::signing::kek::{Kek, KekSource};
use crate::signing::keys::Keyring;
use crate::storage::ContentStore;

/// Load the key-encryption key and make the signing keys that are missing, so a fresh
/// deployment signs out of the box.
async fn open_keys(config: &Config, db: Db) -> anyhow::Result<Keyring> {
    let file = config.kek_file();
    let (kek, source) = Kek::load(config.kek_base64(), &file, true)?;
    if let KekSource::Created(path) = &source {
        tracing::warn!(
            path = %path.display(),
            "created a new key-encryption key; it seals every signing key — back it up and \
             keep it apart from the database (or set KHO_KEK)"
        );
    }
    let keys = Keyring::new(db, kek, &config.public_url, config.seal_algorithm);
    let created = keys.ensure(&config.agencies.0).await?;
    for k in &created {
        tracing::info!(kind = %k.kind, name = %k.name, serial = %k.serial, "signing key created");
    }
    Ok(keys)
}

/// Make `path` readable by its owner only (`mode` 0700 for folders, 0600 for files).
fn private(path: &std::path::Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot make {} private", path.display()))
}

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub store: ContentStore,
    pub pipeline: Arc<kho_workers::Pipeline>,
    pub config: Arc<Config>,
    /// Wakes idle in-process workers when a job is enqueued.
    pub jobs_ready: Arc<Notify>,
    /// Signing keys and certificates.
    pub keys: Arc<Keyring>,
    /// This process's counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Slots for heavy requests (verify, QR photos, uploads).
    pub heavy: crate::admission::Heavy,
    /// The first-run setup link, while no admin exists.
    pub setup: crate::setup::SetupGate,
}

impl App {
    /// Connect to the database (applying pending migrations) and open the object store.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        let embedded = config.database_url.is_none() || config.object_store_url.is_none();
        if embedded {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("cannot create data folder {}", config.data_dir.display())
            })?;
            private(&config.data_dir, 0o700)?;
        }
        let db = Db::connect(&config.database_url())
            .await
            .context("cannot connect to the database")?;
        db.migrate()
            .await
            .context("cannot apply database migrations")?;
        if config.database_url.is_none() {
            // The database holds OCR text and credential hashes: the owner's alone.
            for name in ["kho.db", "kho.db-wal", "kho.db-shm"] {
                let path = config.data_dir.join(name);
                if path.exists() {
                    private(&path, 0o600)?;
                }
            }
        }
        let store = ContentStore::open(&config.object_store_url(), config.s3_endpoint.as_deref())
            .context("cannot open the object store")?;
        let pipeline = kho_workers::Pipeline::new(config.pipeline())?;
        let keys = open_keys(&config, db.clone()).await?;
        let indexed = crate::search::backfill(&db)
            .await
            .context("cannot index documents for search")?;
        if indexed > 0 {
            tracing::info!(documents = indexed, "indexed for search");
        }
        // Documents filed before they recorded their agency were sealed by the default
        // one when their uploader had none (`digitize::filing_agency`).
        let default_agency = &config.agencies.0[0].code;
        let adopted = crate::db::documents::adopt_unfiled(&db, default_agency)
            .await
            .context("cannot record the filing agency of older documents")?;
        if adopted > 0 {
            tracing::info!(documents = adopted, agency = %default_agency, "filing agency recorded");
        }
        // Likewise scans the command line recorded before scans named their agency: it
        // filed them for the first agency. Every newer scan names its agency at intake.
        let adopted = crate::db::scans::adopt_operator_scans(&db, default_agency)
            .await
            .context("cannot record the agency of older scans")?;
        if adopted > 0 {
            tracing::info!(scans = adopted, agency = %default_agency, "scan agency recorded");
        }
        Ok(App {
            db,
            store,
            pipeline: Arc::new(pipeline),
            jobs_ready: Arc::new(Notify::new()),
            keys: Arc::new(keys),
            metrics: Arc::default(),
            heavy: crate::admission::Heavy::new(config.max_heavy_requests),
            setup: Default::default(),
            config: Arc::new(config),
        })
    }
}
