//! Bulk revoke: chunking, fall-back to single revokes, and a report that loses no id.

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use rustc_hash::FxHashSet;
use std::borrow::Borrow;
use std::sync::{Arc, Mutex, OnceLock};

use fastly_tokens_raw::bulk::BulkRevokeRequest;

use crate::answer;
use crate::client::Client;
use crate::error::Error;
use crate::ids::{AutomationTokenId, TokenId};
use crate::model::RevokeOutcome;
use crate::op::{Op, Operation};
use crate::ratelimit::RateLimit;

impl Op {
    pub(crate) const BULK_REVOKE_TOKENS: Op =
        Op::new(Operation::RevokeTokens, answer::decode_reason::<()>).rate_limited();
}

/// What happened to one id of a bulk revoke.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RevokeStatus {
    /// Revoked by this call.
    Revoked,
    /// Fastly reported it does not exist (already revoked, or never existed).
    AlreadyGone,
    /// Not confirmed revoked; the error says why (shared by every id of a failed chunk). If an
    /// earlier attempt's answer was lost, the token may in fact be gone: revoking it again is safe.
    Failed(Arc<Error>),
}

impl RevokeStatus {
    /// Revoked or already gone: the token no longer works.
    pub fn is_gone(&self) -> bool {
        !matches!(self, RevokeStatus::Failed(_))
    }
}

/// The result of [`Client::revoke_tokens`]: one entry per distinct id, in input order.
#[derive(Debug, Clone, Default)]
pub struct BulkRevokeReport {
    entries: Vec<(TokenId, RevokeStatus)>,
    duplicates: Vec<TokenId>,
    requests: usize,
    lookups: usize,
}

impl BulkRevokeReport {
    /// Every id with its status, in input order.
    pub fn entries(&self) -> &[(TokenId, RevokeStatus)] {
        &self.entries
    }
    /// Ids revoked by this call.
    pub fn revoked(&self) -> impl Iterator<Item = &TokenId> {
        self.entries
            .iter()
            .filter(|(_, s)| matches!(s, RevokeStatus::Revoked))
            .map(|(id, _)| id)
    }
    /// Ids Fastly did not know (already revoked).
    pub fn already_gone(&self) -> impl Iterator<Item = &TokenId> {
        self.entries
            .iter()
            .filter(|(_, s)| matches!(s, RevokeStatus::AlreadyGone))
            .map(|(id, _)| id)
    }
    /// Ids not revoked, with the reason.
    pub fn failed(&self) -> impl Iterator<Item = (&TokenId, &Error)> {
        self.entries.iter().filter_map(|(id, s)| match s {
            RevokeStatus::Failed(e) => Some((id, e.as_ref())),
            _ => None,
        })
    }
    /// Ids given more than once, each once, in the order of their second appearance (each is
    /// revoked once and has one entry).
    pub fn duplicates(&self) -> &[TokenId] {
        &self.duplicates
    }
    /// Whether every id is revoked or already gone.
    pub fn all_gone(&self) -> bool {
        self.entries.iter().all(|(_, s)| s.is_gone())
    }
    /// Number of distinct ids.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// No ids were given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Revoke requests made (bulk and single, not counting retries): what the call spent of
    /// the hourly rate-limit budget.
    pub fn requests(&self) -> usize {
        self.requests
    }
    /// `GET /tokens/{id}` lookups made to find out which ids of a refused chunk no longer
    /// exist. Reads are not rate limited.
    pub fn lookups(&self) -> usize {
        self.lookups
    }
}

/// Whether a refused chunk should be retried id by id: the refusal may concern one id only.
fn worth_splitting(error: &Error) -> bool {
    matches!(error.status(), Some(400 | 403 | 404 | 422))
}

/// Whether nothing further can succeed: the key is bad, or the hourly budget is spent.
fn stops_everything(error: &Error) -> bool {
    error.is_unauthorized() || error.is_rate_limited()
}

/// How a refused chunk's ids are looked up to find which are already gone: each kind of token
/// has its own read route, and a user-token lookup of an automation token's id would say "not
/// found" about a live token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// `GET /tokens/{id}`.
    UserToken,
    /// `GET /automation-tokens/{id}`.
    Automation,
}

pub(crate) async fn revoke<I>(client: &Client, ids: I, lookup: Lookup) -> BulkRevokeReport
where
    I: IntoIterator,
    I::Item: Borrow<TokenId>,
{
    // One clone per id; duplicates found by reference. FxHash rather than std's SipHash: the
    // set lives for one call over validated ids, and SipHash was 10% of a bulk call (measured).
    let mut unique: Vec<TokenId> = ids.into_iter().map(|id| id.borrow().clone()).collect();
    let mut duplicates = Vec::new();
    let keep: Vec<bool> = {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        let mut repeated: FxHashSet<&str> = FxHashSet::default();
        seen.reserve(unique.len());
        unique
            .iter()
            .map(|id| {
                let first = seen.insert(id.as_str());
                if !first && repeated.insert(id.as_str()) {
                    duplicates.push(id.clone());
                }
                first
            })
            .collect()
    };
    let mut keep = keep.into_iter();
    unique.retain(|_| keep.next().unwrap_or(true));

    let shared = Shared {
        client,
        ids: &unique,
        lookup,
        statuses: Mutex::new(vec![None; unique.len()]),
        stop: OnceLock::new(),
    };
    let indices: Vec<usize> = (0..unique.len()).collect();
    let (mut requests, mut lookups) = (0, 0);
    let size = client.bulk_chunk_size();
    if indices.len() <= size {
        // One chunk: nothing to send side by side.
        let done = shared.chunk(&indices).await;
        (requests, lookups) = (done.requests, done.lookups);
    } else {
        let limit = client.inner.revokes_in_flight.max(1);
        let mut chunks = indices.chunks(size);
        let mut in_flight = FuturesUnordered::new();
        let mut answered = false;
        let mut budget = Budget::default();
        loop {
            // The first chunk goes alone: its answer says how much of the hourly budget is
            // left (and a bad key is found with one request). Then up to `limit` at once, but
            // never more than the budget left can pay for: with little left, one after
            // another, as before, so a 429 costs no more requests than it did. After a 401 or
            // 429 every chunk left fails with it at once, without a request.
            while in_flight.is_empty()
                || (answered
                    && in_flight.len() < limit
                    && (shared.stop.get().is_some() || budget.allows(in_flight.len())))
            {
                let Some(chunk) = chunks.next() else { break };
                in_flight.push(shared.chunk(chunk));
            }
            let Some(done) = in_flight.next().await else {
                break;
            };
            answered = true;
            budget.observe(client.last_rate_limit());
            requests += done.requests;
            lookups += done.lookups;
        }
    }
    // The chunks borrowed the ids, which move into the report below.
    let statuses = shared
        .statuses
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Statuses are kept by input position, so the report is in input order without sorting,
    // and ids are moved into it, not cloned.
    let entries = unique
        .into_iter()
        .zip(statuses)
        .map(|(id, status)| {
            let status = status.unwrap_or_else(|| {
                debug_assert!(false, "every id gets a status");
                RevokeStatus::Failed(Arc::new(Error::InvalidInput(
                    crate::error::InvalidInput::new(
                        "bulk revoke",
                        "internal error: id not attempted",
                    ),
                )))
            });
            (id, status)
        })
        .collect();
    BulkRevokeReport {
        entries,
        duplicates,
        requests,
        lookups,
    }
}

/// Where a part of the input is in the refusal-handling process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// A chunk as cut from the input.
    Chunk,
    /// A chunk whose missing ids were sifted out after a refusal.
    Sifted,
    /// A half of a refused part.
    Half,
}

/// The hourly budget of non-read requests as this call has seen it: the least
/// `Fastly-RateLimit-Remaining` of the current window (answers to requests sent side by side
/// can arrive out of order, so the last one is not always the latest; a later reset time is a
/// new window).
#[derive(Default)]
struct Budget {
    reset: Option<DateTime<Utc>>,
    remaining: Option<u64>,
}

impl Budget {
    fn observe(&mut self, seen: Option<RateLimit>) {
        let Some(seen) = seen else { return };
        let Some(remaining) = seen.remaining() else {
            return;
        };
        // The last answer may be another call's, of a window already over.
        if seen.reset().is_some_and(|reset| reset < Utc::now()) {
            return;
        }
        match self.remaining {
            Some(least) if seen.reset() <= self.reset => {
                self.remaining = Some(least.min(remaining))
            }
            _ => {
                self.remaining = Some(remaining);
                self.reset = seen.reset();
            }
        }
    }

    /// Whether one more request can be paid for beside `in_flight` (whose cost the answers
    /// may not show yet). No headers seen: no limit known.
    fn allows(&self, in_flight: usize) -> bool {
        self.remaining
            .is_none_or(|remaining| remaining > in_flight as u64)
    }
}

/// What every chunk of one `revoke_tokens` call shares; parts are lists of positions in `ids`.
struct Shared<'a> {
    client: &'a Client,
    ids: &'a [TokenId],
    lookup: Lookup,
    /// Each id's status, by input position (written by one chunk at a time, briefly).
    statuses: Mutex<Vec<Option<RevokeStatus>>>,
    /// Set after a 401 or 429: every later id fails with it, without requests.
    stop: OnceLock<Arc<Error>>,
}

impl<'a> Shared<'a> {
    /// Revokes one chunk as cut from the input, with whatever refusals it meets.
    async fn chunk<'s>(&'s self, part: &'s [usize]) -> Chunk<'s, 'a> {
        let mut chunk = Chunk {
            shared: self,
            requests: 0,
            lookups: 0,
        };
        chunk.part(part, Stage::Chunk).await;
        chunk
    }
}

/// One chunk's progress: what it spent (its ids' statuses go to `Shared`). A chunk's own
/// requests (halves, sifting) go one after another; chunks go side by side.
struct Chunk<'s, 'a> {
    shared: &'s Shared<'a>,
    requests: usize,
    lookups: usize,
}

impl Chunk<'_, '_> {
    fn set(&mut self, part: &[usize], status: &RevokeStatus) {
        let mut statuses = self
            .shared
            .statuses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for &i in part {
            statuses[i] = Some(status.clone());
        }
    }

    fn failed(&mut self, part: &[usize], error: Error) {
        let error = Arc::new(error);
        if stops_everything(&error) {
            // The first stop wins; a later one says the same.
            let _ = self.shared.stop.set(error.clone());
        }
        self.set(part, &RevokeStatus::Failed(error));
    }

    /// Revokes `part` with one bulk request. If Fastly refuses it as a whole for a reason that
    /// may concern only some ids (400/403/404/422), reads are spent before writes (reads are
    /// not rate limited, writes come out of the hourly budget):
    /// 1. a refused chunk is *sifted*: each id is looked up with `GET /tokens/{id}`. An id the
    ///    key cannot see is reported without another write: already gone after a 400/404/422
    ///    refusal; after a 403 ("not yours") it may be another user's (a lookup of someone
    ///    else's token answers 404 too), so it is reported failed with the refusal, never gone.
    ///    The rest is revoked in one request: a chunk with someone else's tokens costs two;
    /// 2. if that is refused too (or every id was found), the part is halved and each half
    ///    retried, down to single revokes: k bad ids among n cost about 2k·log2(n) requests.
    fn part<'s>(
        &'s mut self,
        part: &'s [usize],
        stage: Stage,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 's>> {
        Box::pin(async move {
            if part.is_empty() {
                return;
            }
            if let Some(error) = self.shared.stop.get() {
                let status = RevokeStatus::Failed(error.clone());
                self.set(part, &status);
                return;
            }
            self.requests += 1;
            // A lone id left by halving goes to the single endpoint, whose 404 means "gone".
            if let ([i], Stage::Half) = (part, stage) {
                match self.shared.client.revoke_token(&self.shared.ids[*i]).await {
                    Ok(RevokeOutcome::Revoked) => self.set(part, &RevokeStatus::Revoked),
                    Ok(RevokeOutcome::AlreadyGone) => self.set(part, &RevokeStatus::AlreadyGone),
                    Err(error) => self.failed(part, error),
                }
                return;
            }
            let ids = self.shared.ids;
            match revoke_chunk(self.shared.client, part.iter().map(|&i| &ids[i])).await {
                Ok(()) => self.set(part, &RevokeStatus::Revoked),
                Err(error) if worth_splitting(&error) && stage == Stage::Chunk => {
                    // A 403 may mean "not yours", and a lookup of someone else's token may
                    // answer 404 too: after one, an id the key cannot see is not called gone.
                    let refusal = error.is_forbidden().then(|| Arc::new(error));
                    let remaining = self.sift(part, refusal).await;
                    if remaining.len() == part.len() {
                        // Nothing was missing: the refusal is about something else. Halve.
                        self.halve(part).await;
                    } else {
                        self.part(&remaining, Stage::Sifted).await;
                    }
                }
                Err(error) if worth_splitting(&error) => self.halve(part).await,
                Err(error) => self.failed(part, error),
            }
        })
    }

    async fn halve(&mut self, part: &[usize]) {
        if part.len() <= 1 {
            return self.part(part, Stage::Half).await;
        }
        let (left, right) = part.split_at(part.len() / 2);
        self.part(left, Stage::Half).await;
        self.part(right, Stage::Half).await;
    }

    /// Looks each id up; records those the key cannot see (already gone, or with `refusal`
    /// failed with it) and returns the rest.
    async fn sift(&mut self, part: &[usize], refusal: Option<Arc<Error>>) -> Vec<usize> {
        let mut remaining = Vec::with_capacity(part.len());
        for &i in part {
            // After a 401 or 429 nothing more is asked; the rest goes to the revoke, which
            // fails at once with the stop.
            if self.shared.stop.get().is_some() {
                remaining.push(i);
                continue;
            }
            self.lookups += 1;
            let (client, id) = (self.shared.client, &self.shared.ids[i]);
            let found = match self.shared.lookup {
                Lookup::UserToken => client.get_token(id).await.map(drop),
                Lookup::Automation => match AutomationTokenId::new(id.as_str()) {
                    Ok(id) => client.get_automation_token(&id).await.map(drop),
                    Err(e) => Err(e),
                },
            };
            match found {
                Err(e) if e.is_not_found() => {
                    let status = match &refusal {
                        None => RevokeStatus::AlreadyGone,
                        Some(refusal) => RevokeStatus::Failed(refusal.clone()),
                    };
                    self.set(&[i], &status);
                }
                // Found, or the lookup failed: keep it, the revoke will tell.
                _ => remaining.push(i),
            }
        }
        remaining
    }
}

async fn revoke_chunk<'i>(
    client: &Client,
    chunk: impl Iterator<Item = &'i TokenId>,
) -> Result<(), Error> {
    let body = BulkRevokeRequest::for_ids(chunk.map(TokenId::as_str));
    let raw = client.keyed()?;
    let call = || async { crate::answer::accept_revoked(raw.bulk_revoke_tokens(&body).await) };
    client
        .run(Op::BULK_REVOKE_TOKENS, client.auth(), &[], call)
        .await
        .map(|_| ())
}
