//! Responses handed to the guest and not yet dropped: each is recorded exactly once, when the
//! guest drops it or when its user's Store goes away.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::broker::Received;
use crate::metrics::{Recorder, Sample};

/// The guest's verdict on a response, like Locust's `catch_response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Status >= 400 fails; anything else succeeds.
    ByStatus,
    /// The guest called `success()`.
    Success,
    /// The guest called `failure(message)`.
    Failure(String),
}

/// A response the guest holds.
#[derive(Debug)]
pub struct PendingResponse {
    /// HTTP method, for the report row.
    pub method: Cow<'static, str>,
    /// Report row name.
    pub name: String,
    /// Send to last byte, in microseconds.
    pub latency_us: u64,
    /// The response itself.
    pub received: Received,
    /// The outcome to record.
    pub verdict: Verdict,
}

impl PendingResponse {
    /// The sample this response records.
    pub fn into_sample(self) -> Sample {
        let failure = match self.verdict {
            Verdict::Success => None,
            Verdict::Failure(message) => Some(message),
            Verdict::ByStatus => status_failure(self.received.status),
        };
        Sample {
            method: self.method,
            name: self.name,
            latency_us: self.latency_us,
            bytes: self.received.body.len() as u64,
            failure,
        }
    }
}

/// The default failure message for an error status, or `None` below 400.
pub fn status_failure(status: u16) -> Option<String> {
    (status >= 400).then(|| {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|code| code.canonical_reason())
            .unwrap_or("");
        format!("HTTP {status} {reason}").trim_end().to_string()
    })
}

/// Pending responses keyed by the resource handle given to the guest.
#[derive(Debug, Default)]
pub struct ResponseSlab {
    pending: HashMap<u32, PendingResponse>,
    next: u32,
}

impl ResponseSlab {
    /// Stores a response and returns its handle.
    pub fn insert(&mut self, response: PendingResponse) -> u32 {
        loop {
            let id = self.next;
            self.next = self.next.wrapping_add(1);
            if let std::collections::hash_map::Entry::Vacant(slot) = self.pending.entry(id) {
                slot.insert(response);
                return id;
            }
        }
    }

    /// The response behind a handle.
    pub fn get(&self, id: u32) -> Option<&PendingResponse> {
        self.pending.get(&id)
    }

    /// The response behind a handle, mutably.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut PendingResponse> {
        self.pending.get_mut(&id)
    }

    /// Removes a response (the guest dropped it).
    pub fn remove(&mut self, id: u32) -> Option<PendingResponse> {
        self.pending.remove(&id)
    }

    /// Records every response still pending.
    pub fn flush(&mut self, recorder: &Recorder) {
        for (_, response) in self.pending.drain() {
            recorder.request(response.into_sample());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_fail_by_default() {
        assert_eq!(status_failure(200), None);
        assert_eq!(status_failure(302), None);
        assert_eq!(status_failure(404).as_deref(), Some("HTTP 404 Not Found"));
        assert_eq!(
            status_failure(503).as_deref(),
            Some("HTTP 503 Service Unavailable")
        );
        assert_eq!(status_failure(599).as_deref(), Some("HTTP 599"));
    }
}
