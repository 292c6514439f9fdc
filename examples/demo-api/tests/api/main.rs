//! End-to-end tests: start the demo server on a free port and drive it with a real HTTP client.
//!
//! Every test ends with [`harness::Harness::finish`], which checks that the server counted
//! exactly the requests the test sent.

// Test code: an expectation that does not hold is a failed test.
#![allow(clippy::expect_used)]

mod account;
mod auth;
mod harness;
mod jobs;
mod public;
