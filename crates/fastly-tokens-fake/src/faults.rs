//! Fault injection: what the next requests get instead of (or on top of) a normal answer.

use std::collections::VecDeque;
use std::time::Duration;

/// A fault applied to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with `{"msg":"injected fault"}` instead of handling the request.
    Status(u16),
    /// Wait this long before answering normally.
    Latency(Duration),
    /// Handle the request, send the headers, then break the connection instead of sending the
    /// body (a 204 is sent as a 200 so that there is a body to break). The state change
    /// happened, but the client never learns it.
    DropConnection,
    /// Send only the first half of the normal body.
    TruncateBody,
    /// Handle the request, then answer its success with a body that does not decode (its
    /// `created_at` is not a time) but keeps every other field: a create still returns its
    /// secret, so the client reports `Error::CreatedUndecoded`, and the token exists.
    UndecodableBody,
}

/// A fault for the next requests with this method whose path starts with a prefix.
#[derive(Debug)]
struct Targeted {
    /// Upper case, e.g. `DELETE`.
    method: String,
    path_prefix: String,
    fault: Fault,
    /// Matching requests still to let through before it applies.
    skip: usize,
    /// Requests it still applies to.
    remaining: usize,
}

impl Targeted {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.remaining > 0 && self.method == method && path.starts_with(&self.path_prefix)
    }
}

/// Faults queued for the next requests, in order; then, optionally, a random fault rate.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    queue: VecDeque<Fault>,
    targeted: Vec<Targeted>,
    random: Option<(f64, Vec<Fault>)>,
}

impl Faults {
    pub fn push(&mut self, fault: Fault, times: usize) {
        self.queue.extend(std::iter::repeat_n(fault, times));
    }

    pub fn push_matching(
        &mut self,
        method: &str,
        path_prefix: &str,
        skip: usize,
        fault: Fault,
        times: usize,
    ) {
        self.targeted.push(Targeted {
            method: method.to_ascii_uppercase(),
            path_prefix: path_prefix.to_string(),
            fault,
            skip,
            remaining: times,
        });
    }

    pub fn set_random(&mut self, probability: f64, faults: Vec<Fault>) {
        self.random = (probability > 0.0 && !faults.is_empty()).then_some((probability, faults));
    }

    pub fn clear(&mut self) {
        self.queue.clear();
        self.targeted.clear();
        self.random = None;
    }

    pub fn next(&mut self, method: &str, path: &str) -> Option<Fault> {
        let mut hit = None;
        for entry in self.targeted.iter_mut().filter(|t| t.matches(method, path)) {
            if entry.skip > 0 {
                entry.skip -= 1;
                continue;
            }
            hit = Some(entry);
            break;
        }
        if let Some(entry) = hit {
            entry.remaining -= 1;
            let fault = entry.fault.clone();
            self.targeted.retain(|t| t.remaining > 0);
            return Some(fault);
        }
        if let Some(f) = self.queue.pop_front() {
            return Some(f);
        }
        let (p, faults) = self.random.as_ref()?;
        if rand::random::<f64>() < *p {
            let i = rand::random_range(0..faults.len());
            return Some(faults[i].clone());
        }
        None
    }
}
