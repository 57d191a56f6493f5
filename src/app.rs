//! The application state shared by the API, the workers and the CLI: database, object
//! store, pipeline and configuration, opened once from a [`Config`].

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::Db;
use crate::storage::ContentStore;

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub store: ContentStore,
    pub pipeline: Arc<kho_workers::Pipeline>,
    pub config: Arc<Config>,
    /// Wakes idle in-process workers when a job is enqueued.
    pub jobs_ready: Arc<Notify>,
}

impl App {
    /// Connect to the database (applying pending migrations) and open the object store.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        if config.database_url.is_none() || config.object_store_url.is_none() {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("cannot create data folder {}", config.data_dir.display())
            })?;
        }
        let db = Db::connect(&config.database_url())
            .await
            .context("cannot connect to the database")?;
        db.migrate()
            .await
            .context("cannot apply database migrations")?;
        let store = ContentStore::open(&config.object_store_url(), config.s3_endpoint.as_deref())
            .context("cannot open the object store")?;
        let pipeline = kho_workers::Pipeline::new(config.pipeline())?;
        Ok(App {
            db,
            store,
            pipeline: Arc::new(pipeline),
            config: Arc::new(config),
            jobs_ready: Arc::new(Notify::new()),
        })
    }
}
