//! Responses handed to the guest and not yet dropped: each is recorded exactly once, when the
//! guest drops it or when its user's Store goes away.

use std::borrow::Cow;

use crate::broker::Received;
use crate::metrics::{Sample, SampleTag};

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
    /// Scenario and iteration lateness.
    pub tag: SampleTag,
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
            tag: self.tag,
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

/// Pending responses keyed by the resource handle given to the guest: a slab whose free
/// slots are reused, so the per-request insert and remove do not hash or allocate.
#[derive(Debug, Default)]
pub struct ResponseSlab {
    slots: Vec<Option<PendingResponse>>,
    free: Vec<u32>,
}

impl ResponseSlab {
    /// Stores a response and returns its handle.
    pub fn insert(&mut self, response: PendingResponse) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Some(response);
                id
            }
            None => {
                self.slots.push(Some(response));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The response behind a handle.
    pub fn get(&self, id: u32) -> Option<&PendingResponse> {
        self.slots.get(id as usize)?.as_ref()
    }

    /// The response behind a handle, mutably.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut PendingResponse> {
        self.slots.get_mut(id as usize)?.as_mut()
    }

    /// Removes a response (the guest dropped it).
    pub fn remove(&mut self, id: u32) -> Option<PendingResponse> {
        let response = self.slots.get_mut(id as usize)?.take()?;
        self.free.push(id);
        Some(response)
    }

    /// Takes every response still pending, as samples to record.
    pub fn drain_samples(&mut self) -> impl Iterator<Item = Sample> + '_ {
        self.free.clear();
        self.slots
            .drain(..)
            .flatten()
            .map(PendingResponse::into_sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> PendingResponse {
        PendingResponse {
            method: "GET".into(),
            name: "/x".into(),
            latency_us: 5,
            received: Received {
                status,
                headers: Default::default(),
                body: bytes::Bytes::from_static(b"abc"),
            },
            verdict: Verdict::ByStatus,
            tag: Default::default(),
        }
    }

    #[test]
    fn handles_are_reused_and_each_response_is_taken_once() {
        let mut slab = ResponseSlab::default();
        let a = slab.insert(response(200));
        let b = slab.insert(response(404));
        assert_ne!(a, b);
        assert_eq!(slab.get(b).map(|r| r.received.status), Some(404));
        assert!(slab.remove(a).is_some());
        assert!(slab.remove(a).is_none(), "a handle is removed once");
        assert!(slab.get(a).is_none());
        assert_eq!(slab.insert(response(201)), a, "the free slot is reused");
        assert!(slab.get(99).is_none());
    }

    #[tokio::test]
    async fn draining_records_what_the_guest_still_held() {
        let (recorder, aggregator, _live) =
            crate::metrics::channel(&[], crate::metrics::DEFAULT_MAX_ROWS).expect("a valid layout");
        let mut slab = ResponseSlab::default();
        slab.insert(response(200));
        let dropped = slab.insert(response(200));
        slab.insert(response(500));
        slab.remove(dropped);
        let buffer = crate::metrics::SampleBuffer::default();
        for sample in slab.drain_samples() {
            buffer.record(&recorder, sample);
        }
        drop(recorder);
        let stats = aggregator.run().await;
        assert_eq!(stats.total().count, 2);
        assert_eq!(stats.total().failures, 1);
        assert_eq!(stats.total().bytes, 6);
    }

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
