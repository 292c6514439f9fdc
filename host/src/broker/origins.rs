//! Which origins a guest may reach: the `--host` origin plus each `--allow-host`.

use url::Url;

/// One allowed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    /// Exactly this scheme, host and port.
    Origin(url::Origin),
    /// This host name, on the given port or any.
    Host { host: String, port: Option<u16> },
    /// Any subdomain of this domain (`*.example.com`), on any port.
    Subdomains(String),
}

/// The allow-list every request (and every redirect) is checked against.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    allowed: Vec<Allowed>,
}

impl OriginPolicy {
    /// Allows `host`'s origin and each of `extra`: a URL (its origin), `name`, `name:port`
    /// or `*.domain`.
    pub fn new(host: &Url, extra: &[String]) -> anyhow::Result<Self> {
        let mut allowed = vec![Allowed::Origin(host.origin())];
        for entry in extra {
            allowed.push(parse_entry(entry)?);
        }
        Ok(Self { allowed })
    }

    /// Whether a request to `url` is allowed.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let port = url.port_or_known_default();
        self.allowed.iter().any(|allowed| match allowed {
            Allowed::Origin(origin) => *origin == url.origin(),
            Allowed::Host {
                host: name,
                port: wanted,
            } => *name == host && wanted.is_none_or(|wanted| Some(wanted) == port),
            Allowed::Subdomains(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|prefix| !prefix.is_empty()),
        })
    }

    /// The failure message for a refused `url`, naming the flag that would allow it.
    pub fn refusal(url: &Url) -> String {
        let host = url.host_str().unwrap_or("");
        let target = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        format!("refused: {target} is not an allowed host (allow it with --allow-host {target})")
    }
}

fn parse_entry(entry: &str) -> anyhow::Result<Allowed> {
    let invalid =
        || anyhow::anyhow!("--allow-host `{entry}` is not a host, host:port, *.domain or URL");
    if entry.contains("://") {
        let url = Url::parse(entry).map_err(|_| invalid())?;
        return match url.host_str() {
            Some(_) => Ok(Allowed::Origin(url.origin())),
            None => Err(invalid()),
        };
    }
    let lower = entry.to_ascii_lowercase();
    if let Some(domain) = lower.strip_prefix("*.") {
        if domain.is_empty() || domain.contains([':', '/', '*']) {
            return Err(invalid());
        }
        return Ok(Allowed::Subdomains(format!(".{domain}")));
    }
    let url = Url::parse(&format!("http://{lower}")).map_err(|_| invalid())?;
    let host = url.host_str().ok_or_else(invalid)?.to_string();
    if url.path() != "/" || lower.contains('@') {
        return Err(invalid());
    }
    Ok(Allowed::Host {
        host,
        port: url.port(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    fn policy(extra: &[&str]) -> OriginPolicy {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        OriginPolicy::new(&url("http://127.0.0.1:8000"), &extra).expect("valid policy")
    }

    #[test]
    fn the_host_origin_is_allowed_and_nothing_else() {
        let policy = policy(&[]);
        assert!(policy.allows(&url("http://127.0.0.1:8000/api/v1/x?y=1")));
        assert!(!policy.allows(&url("http://127.0.0.1:8001/")));
        assert!(!policy.allows(&url("https://127.0.0.1:8000/")));
        assert!(!policy.allows(&url("http://localhost:8000/")));
        assert!(!policy.allows(&url("http://forbidden.invalid:9/")));
    }

    #[test]
    fn allowed_hosts_match_by_name_port_or_origin() {
        let policy = policy(&[
            "cdn.example.com",
            "auth.example.com:8443",
            "https://api.other",
        ]);
        assert!(policy.allows(&url("https://cdn.example.com/a")));
        assert!(policy.allows(&url("http://CDN.example.com:81/a")));
        assert!(policy.allows(&url("https://auth.example.com:8443/")));
        assert!(!policy.allows(&url("https://auth.example.com/")));
        assert!(policy.allows(&url("https://api.other/x")));
        assert!(!policy.allows(&url("http://api.other/x")));
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let policy = policy(&["*.example.com"]);
        assert!(policy.allows(&url("https://a.example.com/")));
        assert!(policy.allows(&url("https://a.b.example.com:9/")));
        assert!(!policy.allows(&url("https://example.com/")));
        assert!(!policy.allows(&url("https://badexample.com/")));
    }

    #[test]
    fn malformed_entries_are_rejected() {
        let host = url("http://h");
        for bad in ["", "*.", "a/b", "http://", "user@host", "*.a:1"] {
            assert!(
                OriginPolicy::new(&host, &[bad.to_string()]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_refusal_names_the_flag_that_would_allow_it() {
        let message = OriginPolicy::refusal(&url("http://forbidden.invalid:9/"));
        assert!(
            message.contains("--allow-host forbidden.invalid:9"),
            "{message}"
        );
    }
}
