//! The resolved configuration of one run: flags turned into checked values with defaults applied.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use url::Url;

use crate::cli::LoadArgs;

/// Everything the scheduler and the virtual users need to know about a run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The base URL relative paths are joined to.
    pub host: Url,
    /// Extra hosts or origins the guest may reach.
    pub allow_hosts: Vec<String>,
    /// Concurrent users.
    pub users: u32,
    /// Users started per second.
    pub spawn_rate: f64,
    /// Run length, if bounded by time.
    pub run_time: Option<Duration>,
    /// Total tasks, if bounded by count.
    pub iterations: Option<u64>,
    /// Grace period for users to finish after a stop.
    pub stop_timeout: Duration,
    /// Parameters from `--env`.
    pub env: HashMap<String, String>,
    /// Seed of the per-user random generators.
    pub seed: u64,
    /// Default per-request timeout.
    pub request_timeout: Duration,
    /// Longest stretch of guest computation without a host call.
    pub task_timeout: Duration,
    /// Exit code for a run with failed requests.
    pub exit_code_on_error: u8,
}

/// Defaults that differ between `run` and `demo`.
#[derive(Debug, Clone, Copy)]
pub struct LoadDefaults {
    /// Users when `--users` is absent.
    pub users: u32,
    /// Spawn rate when `--spawn-rate` is absent (`None`: all users within one second).
    pub spawn_rate: Option<f64>,
    /// Run time when neither `--run-time` nor `--iterations` is given.
    pub run_time: Option<Duration>,
}

impl RunConfig {
    /// Resolves the flags of a run against `host`, applying `defaults`.
    pub fn resolve(host: &str, load: &LoadArgs, defaults: LoadDefaults) -> anyhow::Result<Self> {
        let host = parse_host(host)?;
        let users = load.users.unwrap_or(defaults.users);
        let spawn_rate = load
            .spawn_rate
            .or(defaults.spawn_rate)
            .unwrap_or(f64::from(users));
        let run_time = match (load.run_time, load.iterations) {
            (None, None) => defaults.run_time,
            (run_time, _) => run_time,
        };
        Ok(Self {
            host,
            allow_hosts: load.allow_hosts.clone(),
            users,
            spawn_rate,
            run_time,
            iterations: load.iterations,
            stop_timeout: load.stop_timeout,
            env: load.env.iter().cloned().collect(),
            seed: load.seed.unwrap_or_else(fresh_seed),
            request_timeout: load.request_timeout,
            task_timeout: load.task_timeout,
            exit_code_on_error: load.exit_code_on_error,
        })
    }
}

/// A seed that differs between runs, from the process's randomly keyed hasher.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// Parses `--host`: an absolute `http` or `https` URL.
pub fn parse_host(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text)
        .with_context(|| format!("--host `{text}` is not a URL like http://127.0.0.1:8000"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("--host `{text}` must be an http:// or https:// URL with a host name");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> LoadDefaults {
        LoadDefaults {
            users: 1,
            spawn_rate: None,
            run_time: None,
        }
    }

    #[test]
    fn host_must_be_an_http_url() {
        assert!(parse_host("http://127.0.0.1:8000").is_ok());
        assert!(parse_host("https://api.example").is_ok());
        assert!(parse_host("ftp://x").is_err());
        assert!(parse_host("127.0.0.1:8000").is_err());
        assert!(parse_host("not a url").is_err());
    }

    #[test]
    fn spawn_rate_defaults_to_all_users_in_one_second() {
        let load = LoadArgs {
            users: Some(40),
            ..LoadArgs::default()
        };
        let config = RunConfig::resolve("http://h", &load, defaults()).expect("valid");
        assert_eq!(config.spawn_rate, 40.0);
    }

    #[test]
    fn iterations_alone_leave_the_run_unbounded_in_time() {
        let load = LoadArgs {
            iterations: Some(10),
            ..LoadArgs::default()
        };
        let demo = LoadDefaults {
            run_time: Some(Duration::from_secs(30)),
            ..defaults()
        };
        let config = RunConfig::resolve("http://h", &load, demo).expect("valid");
        assert_eq!(config.run_time, None);
        assert_eq!(config.iterations, Some(10));
    }

    #[test]
    fn an_explicit_seed_is_kept() {
        let load = LoadArgs {
            seed: Some(7),
            ..LoadArgs::default()
        };
        let config = RunConfig::resolve("http://h", &load, defaults()).expect("valid");
        assert_eq!(config.seed, 7);
    }
}
