//! Object storage: immutable, content-addressed objects behind one interface.
//!
//! Every object is stored under the SHA-256 of its bytes (`sha256/ab/cd/abcd…`) and
//! written once; the database holds only these hashes. The backend is chosen by URL:
//! `file:///path` (embedded default), `s3://bucket/prefix` (scale-out, any S3-compatible
//! server) or `memory://` (tests).

use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported object store URL {0:?}: use file:///PATH, s3://BUCKET/PREFIX or memory://"
    )]
    UnsupportedUrl(String),
    #[error("object {0} not found")]
    NotFound(String),
    #[error("object {0} does not match its hash")]
    Corrupt(String),
    #[error(transparent)]
    Backend(#[from] object_store::Error),
    #[error("cannot create {0}: {1}")]
    Io(String, std::io::Error),
}

/// A content-addressed object store.
#[derive(Clone, Debug)]
pub struct ContentStore {
    inner: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl ContentStore {
    /// Open the store named by `url`; `s3_endpoint` overrides the S3 endpoint.
    pub fn open(url: &str, s3_endpoint: Option<&str>) -> Result<Self, StoreError> {
        let parsed = url::Url::parse(url).map_err(|_| StoreError::UnsupportedUrl(url.into()))?;
        let (inner, prefix): (Arc<dyn ObjectStore>, Path) = match parsed.scheme() {
            "memory" => (Arc::new(InMemory::new()), Path::default()),
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|_| StoreError::UnsupportedUrl(url.into()))?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| StoreError::Io(dir.display().to_string(), e))?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(&dir)?;
                (Arc::new(fs), Path::default())
            }
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .ok_or_else(|| StoreError::UnsupportedUrl(url.into()))?;
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(endpoint) = s3_endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                (
                    Arc::new(builder.build()?),
                    Path::from(parsed.path().trim_matches('/')),
                )
            }
            _ => return Err(StoreError::UnsupportedUrl(url.into())),
        };
        Ok(ContentStore { inner, prefix })
    }

    fn path(&self, sha256: &str) -> Path {
        let key = format!("sha256/{}/{}/{}", &sha256[..2], &sha256[2..4], sha256);
        if self.prefix.as_ref().is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{}", self.prefix, key))
        }
    }

    /// Store `bytes` and return their SHA-256 (hex). Storing the same bytes again is a
    /// no-op: an existing object is never rewritten.
    pub async fn put(&self, bytes: Bytes) -> Result<String, StoreError> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if self.contains(&sha256).await? {
            return Ok(sha256);
        }
        self.inner
            .put(&self.path(&sha256), PutPayload::from_bytes(bytes))
            .await?;
        Ok(sha256)
    }

    /// The object whose SHA-256 is `sha256`, checked against its hash.
    pub async fn get(&self, sha256: &str) -> Result<Bytes, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound(sha256.into()));
        }
        let bytes = match self.inner.get(&self.path(sha256)).await {
            Ok(r) => r.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NotFound(sha256.into()));
            }
            Err(e) => return Err(e.into()),
        };
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(StoreError::Corrupt(sha256.into()));
        }
        Ok(bytes)
    }

    /// Remove an object (tests and operator repair only; objects are otherwise immutable).
    pub async fn remove(&self, sha256: &str) -> Result<(), StoreError> {
        self.inner.delete(&self.path(sha256)).await?;
        Ok(())
    }

    fn list_prefix(&self) -> Option<&Path> {
        (!self.prefix.as_ref().is_empty()).then_some(&self.prefix)
    }

    /// Number of stored objects.
    pub async fn count(&self) -> Result<usize, StoreError> {
        use futures::TryStreamExt;
        Ok(self
            .inner
            .list(self.list_prefix())
            .try_collect::<Vec<_>>()
            .await?
            .len())
    }

    /// The SHA-256 of every stored object, as the listing comes (a backup's copy).
    pub fn list(&self) -> impl futures::Stream<Item = Result<String, StoreError>> + '_ {
        use futures::TryStreamExt;
        self.inner
            .list(self.list_prefix())
            .map_err(StoreError::from)
            .try_filter_map(|meta| async move {
                let name = meta.location.filename().unwrap_or_default();
                let is_hash = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
                Ok(is_hash.then(|| name.to_owned()))
            })
    }

    /// True when the object `sha256` is stored.
    pub async fn contains(&self, sha256: &str) -> Result<bool, StoreError> {
        match self.inner.head(&self.path(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// True when the store answers.
    pub async fn ping(&self) -> bool {
        use futures::StreamExt;
        !matches!(
            self.inner.list(self.list_prefix()).next().await,
            Some(Err(_))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn objects_are_addressed_by_their_hash_and_written_once() {
        let store = ContentStore::open("memory://", None).unwrap();
        let a = store.put(Bytes::from_static(b"trang 1")).await.unwrap();
        let again = store.put(Bytes::from_static(b"trang 1")).await.unwrap();
        assert_eq!(a, again);
        assert_eq!(a, hex::encode(Sha256::digest(b"trang 1")));
        assert_eq!(store.count().await.unwrap(), 1);
        assert_eq!(store.get(&a).await.unwrap(), Bytes::from_static(b"trang 1"));
    }

    #[tokio::test]
    async fn a_missing_object_is_not_found() {
        let store = ContentStore::open("memory://", None).unwrap();
        let err = store.get(&"0".repeat(64)).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
        assert!(matches!(
            store.get("../etc/passwd").await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn the_local_store_keeps_objects_in_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().join("objects").display());
        let store = ContentStore::open(&url, None).unwrap();
        let h = store.put(Bytes::from_static(b"abc")).await.unwrap();
        let reopened = ContentStore::open(&url, None).unwrap();
        assert_eq!(reopened.get(&h).await.unwrap(), Bytes::from_static(b"abc"));
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(matches!(
            ContentStore::open("ftp://x/y", None),
            Err(StoreError::UnsupportedUrl(_))
        ));
    }
}
