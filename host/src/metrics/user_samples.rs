//! A user's finished requests on their way to the aggregator. The user appends each sample
//! to its own buffer, under a lock only the aggregator also takes (once a drain), and the
//! channel carries the buffer only when it turns non-empty: a user that finishes many
//! requests between two drains costs the channel one send, not one a request.

use std::sync::{Arc, Mutex, PoisonError};

use super::{Event, Recorder, Sample};

/// What the metrics channel carries: one event, or a user's buffer holding samples.
#[derive(Debug)]
pub(super) enum Message {
    /// An event on its own.
    Event(Event),
    /// A buffer that turned non-empty; the aggregator takes whatever it holds when it gets
    /// to it.
    Samples(Arc<Mutex<Vec<Sample>>>),
}

/// One user's samples not yet taken by the aggregator.
#[derive(Debug, Default)]
pub struct SampleBuffer(Arc<Mutex<Vec<Sample>>>);

impl SampleBuffer {
    /// Appends `sample`, and hands the buffer to `recorder`'s aggregator if it held none.
    /// The samples are recorded at the aggregator's next drain, as a lone event would be.
    pub fn record(&self, recorder: &Recorder, sample: Sample) {
        let was_empty = {
            let mut samples = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            samples.push(sample);
            samples.len() == 1
        };
        if was_empty {
            recorder.send_message(Message::Samples(Arc::clone(&self.0)));
        }
    }
}

/// Takes every sample waiting in `buffer`. A user that sent several since the last drain
/// gets room for as many again; one that sent a single sample keeps no allocation while
/// idle.
pub(super) fn take(buffer: &Mutex<Vec<Sample>>) -> Vec<Sample> {
    let mut samples = buffer.lock().unwrap_or_else(PoisonError::into_inner);
    let room = if samples.len() > 1 { samples.len() } else { 0 };
    std::mem::replace(&mut *samples, Vec::with_capacity(room))
}
