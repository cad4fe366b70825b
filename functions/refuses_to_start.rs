//! Shared by the Lambda crates' integration tests (`#[path]`-included, not a crate): a
//! function binary started as Lambda starts it, without its table and secret, must refuse to
//! start and name what is missing instead of waiting for events it could not handle. The test
//! also makes `cargo test --workspace` build each binary with the workspace's test feature set,
//! so the deploy rehearsal (`tests/rehearsal/`) runs them without a second dependency build.

use std::process::Command;
use std::time::{Duration, Instant};

pub fn check(binary: &str) {
    let started = Instant::now();
    let output = Command::new(binary)
        .env_clear()
        .env("AWS_REGION", "ap-southeast-3")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("the binary starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {:?}", output.status);
    assert!(
        stderr.contains("WHATSAPP_SECRET_ARN"),
        "the error names the missing variable: {stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(20), "failed fast");
}
