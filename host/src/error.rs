//! Run-level errors and the exit codes they map to.

use std::process::ExitCode;

/// Exit code for a run where everything succeeded.
pub const EXIT_OK: u8 = 0;
/// Default exit code for a run where some requests failed (see `--exit-code-on-error`).
pub const EXIT_REQUEST_FAILURES: u8 = 1;
/// Exit code for bad usage or bad input: flags, files, components, an unreachable target.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a broken scenario: it did not build, or it trapped or raised errors.
pub const EXIT_SCENARIO_ERROR: u8 = 3;

/// Exit code for a run in which a `--threshold` failed.
pub const EXIT_THRESHOLDS_FAILED: u8 = 4;

/// Exit code for a sharded run in which a shard never joined, or was lost on the way.
pub const EXIT_SHARDS_LOST: u8 = 5;

/// An error that ends wasmload before or instead of a report; each kind has its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The user gave something wasmload cannot use (exit code 2).
    #[error("{0:#}")]
    BadInput(anyhow::Error),
    /// The scenario itself is broken (exit code 3).
    #[error("{0:#}")]
    Scenario(anyhow::Error),
    /// wasmload failed for a reason of its own (exit code 3).
    #[error("{0:#}")]
    Internal(anyhow::Error),
    /// A shard of a coordinated run never joined it (exit code 5).
    #[error("{0:#}")]
    ShardsLost(anyhow::Error),
}

impl Failure {
    /// Wraps an error caused by the user's input.
    pub fn bad_input(err: impl Into<anyhow::Error>) -> Self {
        Self::BadInput(err.into())
    }

    /// Wraps an error caused by the scenario.
    pub fn scenario(err: impl Into<anyhow::Error>) -> Self {
        Self::Scenario(err.into())
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadInput(_) => EXIT_BAD_INPUT,
            Self::Scenario(_) | Self::Internal(_) => EXIT_SCENARIO_ERROR,
            Self::ShardsLost(_) => EXIT_SHARDS_LOST,
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

/// Converts a wasmload exit code into the process's.
pub fn exit_code(code: u8) -> ExitCode {
    ExitCode::from(code)
}
