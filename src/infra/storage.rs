//! Where attachments' bytes live, behind the `object_store` crate: a folder
//! (`file://./xietong-files`, the default, whichever database is used) or an
//! S3-compatible bucket (`s3://BUCKET` or `s3://BUCKET/PREFIX`: MinIO, OSS,
//! COS, OBS), so that several instances share their files. The bucket's
//! endpoint and keys come from the usual `AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` and `AWS_ALLOW_HTTP`.
//!
//! An upload is spooled to a temporary file first ([`Spool`]): its bytes are
//! counted and hashed as they arrive, its content is looked at there, and
//! only an accepted file goes on to the storage, in parts. Nothing holds a
//! whole file in memory.

use std::ops::Range;
use std::sync::Arc;

use axum::body::Bytes;
use object_store::path::Path as StorePath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::domain::{DomainError, DomainResult, Text};

/// The storage of attachments unless configured.
pub const DEFAULT_STORAGE: &str = "file://./xietong-files";

/// Bytes sent to the storage in one part.
const PART_BYTES: usize = 8 * 1024 * 1024;

/// The storage the service puts files in.
#[derive(Clone)]
pub struct Storage {
    store: Result<Arc<dyn ObjectStore>, String>,
    prefix: Option<StorePath>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.store {
            Ok(store) => write!(f, "Storage({store})"),
            Err(reason) => write!(f, "Storage(unusable: {reason})"),
        }
    }
}

/// A stream of an object's bytes, or of the range asked for.
pub type ByteStream = futures_core::stream::BoxStream<'static, Result<Bytes, object_store::Error>>;

impl Storage {
    /// The storage `url` names: `file://PATH` (a folder, made when
    /// missing; relative to the working directory unless absolute) or
    /// `s3://BUCKET[/PREFIX]`.
    pub fn open(url: &str) -> Result<Storage, String> {
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(
                    "`file://` names no folder: write `file://./xietong-files` or `file:///var/lib/xietong`".into(),
                );
            }
            std::fs::create_dir_all(path).map_err(|e| format!("cannot make the folder {path}: {e}"))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(path)
                .map_err(|e| format!("cannot use the folder {path}: {e}"))?;
            return Ok(Storage {
                store: Ok(Arc::new(store)),
                prefix: None,
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err("`s3://` names no bucket: write `s3://BUCKET` or `s3://BUCKET/PREFIX`".into());
            }
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| format!("cannot use the bucket {bucket}: {e}"))?;
            let prefix = prefix.trim_matches('/');
            return Ok(Storage {
                store: Ok(Arc::new(store)),
                prefix: (!prefix.is_empty()).then(|| StorePath::from(prefix)),
            });
        }
        Err(format!(
            "`{url}` is not a storage: write `file://FOLDER` or `s3://BUCKET[/PREFIX]`"
        ))
    }

    /// A storage that refuses every use, saying why (`serve` refuses to
    /// start with it; a test or a tool may still build the app).
    pub fn unusable(reason: String) -> Storage {
        Storage {
            store: Err(reason),
            prefix: None,
        }
    }

    fn store(&self) -> DomainResult<&Arc<dyn ObjectStore>> {
        self.store.as_ref().map_err(|reason| DomainError::Unavailable {
            message: Text::new("the file storage cannot be used: %{reason}").arg("reason", reason),
            retry_after_secs: 60,
        })
    }

    /// Where `key` (`attachments/{id}`) lives: under the prefix, each of
    /// its segments a segment of the path (so that a listing finds it).
    fn path(&self, key: &str) -> StorePath {
        match &self.prefix {
            Some(prefix) => prefix.parts().chain(StorePath::from(key).parts()).collect(),
            None => StorePath::from(key),
        }
    }

    /// Copies a spooled file to `key`, in parts.
    pub async fn put_file(&self, key: &str, spool: &Spool) -> DomainResult<()> {
        let store = self.store()?;
        let upload = store.put_multipart(&self.path(key)).await.map_err(unreachable)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut file = tokio::fs::File::open(&spool.path).await.map_err(spool_failed)?;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = file.read(&mut buffer).await.map_err(spool_failed)?;
            if read == 0 {
                break;
            }
            // At most two parts in flight: memory stays a few parts' worth.
            writer.wait_for_capacity(2).await.map_err(unreachable)?;
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(unreachable)?;
        Ok(())
    }

    /// The bytes at `key`, or those of `range` (which must lie within).
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> DomainResult<ByteStream> {
        let store = self.store()?;
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let found = store.get_opts(&self.path(key), options).await.map_err(unreachable)?;
        Ok(found.into_stream())
    }

    /// The keys under `prefix` (a folder of keys, `attachments`), each with
    /// when it was last written.
    pub async fn list(&self, prefix: &str) -> DomainResult<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
        let store = self.store()?;
        let mut listing = store.list(Some(&self.path(prefix)));
        let mut found = Vec::new();
        while let Some(item) = std::future::poll_fn(|cx| listing.as_mut().poll_next(cx)).await {
            let meta = item.map_err(unreachable)?;
            let location = meta.location.as_ref();
            let key = match &self.prefix {
                Some(root) => location
                    .strip_prefix(root.as_ref())
                    .map_or(location, |rest| rest.trim_start_matches('/')),
                None => location,
            };
            found.push((key.to_owned(), meta.last_modified));
        }
        Ok(found)
    }

    /// Removes `key`; one already gone is no error.
    pub async fn delete(&self, key: &str) -> DomainResult<()> {
        match self.store()?.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(unreachable(err)),
        }
    }
}

fn unreachable(err: object_store::Error) -> DomainError {
    tracing::warn!(error = %err, "file storage failed");
    DomainError::Unavailable {
        message: "the file storage failed; retry later".into(),
        retry_after_secs: 5,
    }
}

fn spool_failed(err: std::io::Error) -> DomainError {
    DomainError::Internal(anyhow::Error::new(err).context("the upload's temporary file"))
}

/// An upload on its way in: a temporary file, its size and SHA-256 as the
/// bytes arrive; removed when dropped.
pub struct Spool {
    path: std::path::PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    size: u64,
    max: u64,
}

impl Spool {
    /// An empty spool in `folder` (made when missing) that takes at most
    /// `max` bytes.
    pub async fn new(folder: &std::path::Path, max: u64) -> DomainResult<Spool> {
        tokio::fs::create_dir_all(folder).await.map_err(spool_failed)?;
        let path = folder.join(uuid::Uuid::new_v4().to_string());
        let file = tokio::fs::File::create(&path).await.map_err(spool_failed)?;
        Ok(Spool {
            path,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            max,
        })
    }

    /// Adds bytes; more than the most it takes is 413.
    pub async fn write(&mut self, chunk: &[u8]) -> DomainResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.max {
            return Err(DomainError::PayloadTooLarge(
                Text::new("the file is larger than the %{max} bytes an attachment may have").arg("max", self.max),
            ));
        }
        self.hasher.update(chunk);
        match &mut self.file {
            Some(file) => file.write_all(chunk).await.map_err(spool_failed),
            None => Err(DomainError::Internal(anyhow::anyhow!("the spool is closed"))),
        }
    }

    /// Ends the upload: its size and its SHA-256 in lowercase hex.
    pub async fn finish(&mut self) -> DomainResult<(u64, String)> {
        if let Some(mut file) = self.file.take() {
            file.flush().await.map_err(spool_failed)?;
            file.sync_data().await.map_err(spool_failed)?;
        }
        let digest = std::mem::take(&mut self.hasher).finalize();
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok((self.size, hex))
    }

    /// The file, to be read again (its content inspected).
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
