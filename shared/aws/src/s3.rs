//! Private file storage in an S3 bucket: the production `BlobStore`. Every object is written
//! with server-side encryption (SSE-S3, AES-256), whatever the bucket default says, because
//! complaint photos are personal data (UU 27/2022). Operators get time-limited presigned GET
//! URLs; the bucket itself stays private.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ServerSideEncryption,
};
use aws_sdk_s3::Client;

use prolink_app::ports::{validate_key, BlobEraser, BlobStore, PortError, PortResult};

/// S3 refuses presigned URLs valid for longer than 7 days.
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// `BlobStore` on one bucket.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3BlobStore {
            client,
            bucket: bucket.into(),
        }
    }

    /// The store with a client built from `sdk`. With a custom endpoint (moto, LocalStack)
    /// path-style addressing is used, as bucket subdomains of `127.0.0.1` do not resolve.
    pub fn from_sdk_config(sdk: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Self::new(Client::from_conf(config), bucket)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn backend<E, R>(operation: &str, error: SdkError<E, R>) -> PortError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    PortError::Backend(format!("S3 {operation}: {}", DisplayErrorContext(&error)))
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put_blob(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| backend("PutObject", e))?;
        Ok(())
    }

    async fn get_blob(&self, key: &str) -> PortResult<Option<(Vec<u8>, String)>> {
        validate_key(key)?;
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => return Ok(None),
            Err(e) => return Err(backend("GetObject", e)),
        };
        let content_type = output
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| PortError::Backend(format!("S3 GetObject body of {key:?}: {e}")))?
            .into_bytes()
            .to_vec();
        Ok(Some((bytes, content_type)))
    }

    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String> {
        validate_key(key)?;
        if ttl.is_zero() || ttl > MAX_PRESIGN_TTL {
            return Err(PortError::Invalid(
                "presign ttl must be between 1 s and 7 days".to_owned(),
            ));
        }
        let config =
            PresigningConfig::expires_in(ttl).map_err(|e| PortError::Invalid(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| backend("presign GetObject", e))?;
        Ok(request.uri().to_owned())
    }
}

#[async_trait]
impl BlobEraser for S3BlobStore {
    /// `DeleteObject` succeeds for an absent key too. On a versioned bucket it only adds a
    /// delete marker: the template keeps the media bucket unversioned for that reason.
    async fn delete_blob(&self, key: &str) -> PortResult<()> {
        validate_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| backend("DeleteObject", e))?;
        Ok(())
    }
}

/// Creates a private bucket (tests and local tooling; production buckets come from the
/// template). An existing bucket of ours is fine.
pub async fn create_bucket(client: &Client, name: &str) -> PortResult<()> {
    let mut request = client.create_bucket().bucket(name);
    // us-east-1 is the one region that refuses an explicit location constraint.
    if let Some(region) = client
        .config()
        .region()
        .map(|r| r.as_ref().to_owned())
        .filter(|r| r != "us-east-1")
    {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e)) if e.err().is_bucket_already_owned_by_you() => Ok(()),
        Err(e) => Err(backend("CreateBucket", e)),
    }
}
