//! Bulk revoke: chunking, fall-back to single revokes, and a report that loses no id.

use rustc_hash::FxHashSet;
use std::borrow::Borrow;
use std::sync::Arc;

use fastly_tokens_raw::bulk::BulkRevokeRequest;

use crate::answer;
use crate::client::Client;
use crate::error::Error;
use crate::ids::{AutomationTokenId, TokenId};
use crate::model::RevokeOutcome;
use crate::op::{Op, Operation};

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

    let mut run = Run {
        client,
        ids: &unique,
        statuses: vec![None; unique.len()],
        lookup,
        requests: 0,
        lookups: 0,
        stop: None,
    };
    let indices: Vec<usize> = (0..unique.len()).collect();
    for chunk in indices.chunks(client.bulk_chunk_size()) {
        run.part(chunk, Stage::Chunk).await;
    }
    let (requests, lookups) = (run.requests, run.lookups);
    let statuses = run.statuses;
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

/// The state of one `revoke_tokens` call; parts are lists of positions in `ids`.
struct Run<'a> {
    client: &'a Client,
    ids: &'a [TokenId],
    statuses: Vec<Option<RevokeStatus>>,
    lookup: Lookup,
    requests: usize,
    lookups: usize,
    /// Set after a 401 or 429: every later id fails with it, without requests.
    stop: Option<Arc<Error>>,
}

impl Run<'_> {
    fn set(&mut self, part: &[usize], status: &RevokeStatus) {
        for &i in part {
            self.statuses[i] = Some(status.clone());
        }
    }

    fn failed(&mut self, part: &[usize], error: Error) {
        let error = Arc::new(error);
        if stops_everything(&error) {
            self.stop = Some(error.clone());
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
            if let Some(error) = &self.stop {
                let status = RevokeStatus::Failed(error.clone());
                self.set(part, &status);
                return;
            }
            self.requests += 1;
            // A lone id left by halving goes to the single endpoint, whose 404 means "gone".
            if let ([i], Stage::Half) = (part, stage) {
                match self.client.revoke_token(&self.ids[*i]).await {
                    Ok(RevokeOutcome::Revoked) => self.set(part, &RevokeStatus::Revoked),
                    Ok(RevokeOutcome::AlreadyGone) => self.set(part, &RevokeStatus::AlreadyGone),
                    Err(error) => self.failed(part, error),
                }
                return;
            }
            match revoke_chunk(self.client, part.iter().map(|&i| &self.ids[i])).await {
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
            self.lookups += 1;
            let found = match self.lookup {
                Lookup::UserToken => self.client.get_token(&self.ids[i]).await.map(drop),
                Lookup::Automation => match AutomationTokenId::new(self.ids[i].as_str()) {
                    Ok(id) => self.client.get_automation_token(&id).await.map(drop),
                    Err(e) => Err(e),
                },
            };
            match found {
                Err(e) if e.is_not_found() => {
                    self.statuses[i] = Some(match &refusal {
                        None => RevokeStatus::AlreadyGone,
                        Some(refusal) => RevokeStatus::Failed(refusal.clone()),
                    });
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
