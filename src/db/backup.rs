//! The queries of `kho backup` and `kho restore`.

use super::{Db, DbError};

/// Filed documents.
pub async fn count_documents(db: &Db) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM documents")
        .fetch_one(&db.pool)
        .await?)
}

/// A consistent copy of a SQLite database at `target` (`VACUUM INTO`).
pub async fn sqlite_snapshot(db: &Db, target: &str) -> Result<(), DbError> {
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Tables in a PostgreSQL database's public schema (0: empty, fit to restore into).
pub async fn postgres_tables(db: &Db) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&db.pool)
    .await?)
}

/// Every object the database names: each document's PDF and each scan file.
pub async fn named_objects(db: &Db) -> Result<Vec<String>, DbError> {
    let mut named: Vec<String> = sqlx::query_scalar("SELECT pdf_sha256 FROM documents")
        .fetch_all(&db.pool)
        .await?;
    named.extend(
        sqlx::query_scalar::<_, String>("SELECT sha256 FROM scan_files")
            .fetch_all(&db.pool)
            .await?,
    );
    Ok(named)
}
