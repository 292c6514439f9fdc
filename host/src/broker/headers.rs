//! A request's headers as the scenario gave them: the session's defaults, then the request's
//! own (a name the request sets replaces the default). The first hop's map is built once and
//! moved into the request; a redirect builds the next hop's again instead of every hop
//! carrying a copy.

use std::sync::Arc;

use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::BrokerError;

/// Headers a session sends with every request, in the order set; shared by its requests.
pub type DefaultHeaders = Arc<Vec<(HeaderName, HeaderValue)>>;

/// What a request's headers are made from.
#[derive(Debug, Clone, Default)]
pub struct HeaderRecipe {
    defaults: DefaultHeaders,
    own: Vec<(String, String)>,
}

impl HeaderRecipe {
    /// The session's `defaults` and the request's `own` headers.
    pub fn new(defaults: DefaultHeaders, own: Vec<(String, String)>) -> Self {
        Self { defaults, own }
    }

    /// The headers: every default, then the request's own, which replace defaults of the
    /// same name; a name or value that is not valid HTTP is refused.
    pub fn build(&self) -> Result<HeaderMap, BrokerError> {
        let mut headers = HeaderMap::with_capacity(self.defaults.len() + self.own.len() + 3);
        for (name, value) in self.defaults.iter() {
            headers.insert(name.clone(), value.clone());
        }
        let mut replaced = Vec::new();
        for (name, value) in &self.own {
            let (name, value) = header_pair(name, value)?;
            if !replaced.contains(&name) {
                headers.remove(&name);
                replaced.push(name.clone());
            }
            headers.append(name, value);
        }
        Ok(headers)
    }
}

/// A header name and value, checked.
pub fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), BrokerError> {
    let header_name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| BrokerError::InvalidRequest(format!("`{name}` is not a header name")))?;
    let header_value = HeaderValue::from_str(value).map_err(|_| {
        BrokerError::InvalidRequest(format!("the value of header `{name}` is not valid"))
    })?;
    Ok((header_name, header_value))
}
