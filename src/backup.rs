//! `kho backup DIR` and `kho restore DIR`: the database and the objects of a deployment
//! copied to a folder, and brought back into a fresh deployment.
//!
//! A backup folder holds `database.sqlite` (a consistent snapshot by `VACUUM INTO`) or
//! `database.pgdump` (`pg_dump --format=custom`), `objects/` (the object store as a
//! folder, laid out as a `file://` store) and `backup.json` (what was taken, and when).
//! The database is taken first and the objects after it: every object a record names
//! was stored before the record was committed, so the snapshot never names an object
//! the copy lacks. Objects are immutable and named by their SHA-256, so backing up
//! into the same folder again copies only what is new.
//!
//! Restore goes into an empty database of the same kind and any object store; every
//! object is checked against its hash on the way, and at the end every document's PDF
//! and every scan file is read back from the new store. The key-encryption key is
//! never in a backup: keep it apart (docs/OPERATIONS.md) and give it to the restored
//! deployment as before.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db::{Backend, Db};
use crate::storage::ContentStore;

/// What `backup.json` records.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Unix milliseconds when the database snapshot was taken.
    pub taken_at: i64,
    pub documents: i64,
    /// Objects in the backup folder.
    pub objects: usize,
}

/// What a backup or restore did.
#[derive(Debug)]
pub struct Summary {
    pub documents: i64,
    pub objects: usize,
    /// Objects copied this time (the rest were there already).
    pub copied: usize,
}

const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn folder_store(dir: &Path) -> anyhow::Result<ContentStore> {
    let objects = std::path::absolute(dir.join("objects"))?;
    std::fs::create_dir_all(&objects)?;
    Ok(ContentStore::open(
        &format!("file://{}", objects.display()),
        None,
    )?)
}

/// Copy every object of `from` missing in `to` (each checked against its hash).
async fn copy_objects(from: &ContentStore, to: &ContentStore) -> anyhow::Result<(usize, usize)> {
    let (mut all, mut copied) = (0, 0);
    let mut names = std::pin::pin!(from.list());
    while let Some(sha256) = names.try_next().await? {
        all += 1;
        if !to.contains(&sha256).await? {
            let bytes = from
                .get(&sha256)
                .await
                .with_context(|| format!("object {sha256}"))?;
            to.put(bytes).await?;
            copied += 1;
        }
    }
    Ok((all, copied))
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {what} (install postgresql-client)"))?;
    ensure!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// Back the deployment `config` names up into `dir`.
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<Summary> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let url = config.database_url();
    let db = Db::connect(&url)
        .await
        .context("cannot connect to the database")?;
    let store = ContentStore::open(&config.object_store_url(), config.s3_endpoint.as_deref())?;
    let taken_at = crate::db::now_ms();
    let partial = dir.join(".database.partial");
    let _ = std::fs::remove_file(&partial);
    let file = match db.backend {
        Backend::Sqlite => {
            let target = std::path::absolute(&partial)?.display().to_string();
            crate::db::backup::sqlite_snapshot(&db, &target)
                .await
                .context("cannot snapshot the SQLite database")?;
            SQLITE_FILE
        }
        Backend::Postgres => {
            run(
                pg_command("pg_dump", &url)?
                    .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                    .arg(&partial),
                "pg_dump",
            )?;
            PG_FILE
        }
    };
    std::fs::rename(&partial, dir.join(file))?;
    let documents = crate::db::backup::count_documents(&db).await?;
    db.pool.close().await;
    let (objects, copied) = copy_objects(&store, &folder_store(dir)?).await?;
    let manifest = Manifest {
        backend: backend_name(db.backend).into(),
        taken_at,
        documents,
        objects,
    };
    std::fs::write(
        dir.join("backup.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(Summary {
        documents,
        objects,
        copied,
    })
}

/// The file behind a `sqlite:` URL.
fn sqlite_file(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Restore the backup in `dir` into the (empty) deployment `config` names.
pub async fn restore(config: &Config, dir: &Path) -> anyhow::Result<Summary> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join("backup.json"))
            .with_context(|| format!("{} holds no backup.json", dir.display()))?,
    )
    .context("backup.json is not a Kho backup manifest")?;
    let url = config.database_url();
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    ensure!(
        manifest.backend == backend_name(backend),
        "this is a backup of a {} deployment; restore it into one of the same kind",
        manifest.backend
    );
    match backend {
        Backend::Sqlite => {
            let target = sqlite_file(&url);
            ensure!(
                std::fs::metadata(&target).map_or(true, |m| m.len() == 0),
                "{} exists: restore into a fresh deployment",
                target.display()
            );
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let partial = target.with_extension("restoring");
            std::fs::copy(dir.join(SQLITE_FILE), &partial)
                .with_context(|| format!("cannot copy {SQLITE_FILE}"))?;
            std::fs::rename(&partial, &target)?;
        }
        Backend::Postgres => {
            let db = Db::connect(&url)
                .await
                .context("cannot connect to the database")?;
            let tables = crate::db::backup::postgres_tables(&db).await?;
            db.pool.close().await;
            if tables > 0 {
                bail!("the database already has tables: restore into a fresh, empty database");
            }
            run(
                pg_command("pg_restore", &url)?
                    .args(["--no-owner", "--no-privileges", "--exit-on-error"])
                    .arg(dir.join(PG_FILE)),
                "pg_restore",
            )?;
        }
    }
    let store = ContentStore::open(&config.object_store_url(), config.s3_endpoint.as_deref())?;
    let (objects, copied) = copy_objects(&folder_store(dir)?, &store).await?;
    // Every document's PDF and every scan file must now be readable, intact.
    let db = Db::connect(&url).await?;
    db.migrate()
        .await
        .context("cannot bring the restored database up to date")?;
    let named = crate::db::backup::named_objects(&db).await?;
    for sha256 in &named {
        store
            .get(sha256)
            .await
            .with_context(|| format!("after the restore, object {sha256} cannot be read"))?;
    }
    let documents = crate::db::backup::count_documents(&db).await?;
    Ok(Summary {
        documents,
        objects,
        copied,
    })
}

/// `program` (pg_dump, pg_restore) connected to the database `url` names, with the
/// password passed in `PGPASSWORD` and left out of the command line, where any local
/// user could read it (`ps`).
fn pg_command(program: &str, url: &str) -> anyhow::Result<Command> {
    let (without, password) = split_password(url)?;
    let mut c = Command::new(program);
    c.arg("--dbname").arg(without);
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    Ok(c)
}

/// `url` without its password, and the password (percent-decoded), if it has one.
fn split_password(url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut u = url::Url::parse(url).context("the database URL does not parse")?;
    let password = u.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    if password.is_some() {
        u.set_password(None)
            .map_err(|()| anyhow::anyhow!("the database URL cannot lose its password"))?;
    }
    Ok((u.to_string(), password))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_password_never_reaches_the_command_line() {
        let c =
            super::pg_command("pg_dump", "postgres://kho:s%40cret@db.example:5432/kho").unwrap();
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.iter().all(|a| !a.contains("cret")), "{args:?}");
        assert!(
            args.contains(&"postgres://kho@db.example:5432/kho".to_owned()),
            "{args:?}"
        );
        let env: Vec<_> = c.get_envs().collect();
        assert_eq!(
            env,
            vec![(
                std::ffi::OsStr::new("PGPASSWORD"),
                Some(std::ffi::OsStr::new("s@cret"))
            )]
        );
    }
}
