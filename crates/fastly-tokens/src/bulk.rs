//! Bulk revoke: chunking, fall-back to single revokes, and a report that loses no id.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use fastly_tokens_raw::types::{BulkRevokeItem, BulkRevokeItemType, BulkRevokeRequest};

use crate::client::{Client, RevokeOutcome};
use crate::error::Error;
use crate::ids::TokenId;

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

pub(crate) async fn revoke<I>(client: &Client, ids: I) -> BulkRevokeReport
where
    I: IntoIterator,
    I::Item: Borrow<TokenId>,
{
    let mut seen = HashSet::new();
    let unique: Vec<TokenId> = ids
        .into_iter()
        .filter_map(|id| {
            let id = id.borrow();
            seen.insert(id.clone()).then(|| id.clone())
        })
        .collect();
    let mut report = BulkRevokeReport {
        entries: Vec::with_capacity(unique.len()),
        requests: 0,
        lookups: 0,
    };
    let mut stop: Option<Arc<Error>> = None;
    for chunk in unique.chunks(client.bulk_chunk_size()) {
        revoke_part(client, chunk, Stage::Chunk, &mut report, &mut stop).await;
    }
    // Sifting reports missing ids first; restore input order.
    let position: HashMap<&TokenId, usize> =
        unique.iter().enumerate().map(|(i, id)| (id, i)).collect();
    report
        .entries
        .sort_by_key(|(id, _)| position.get(id).copied().unwrap_or(usize::MAX));
    debug_assert_eq!(report.entries.len(), unique.len());
    report
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

/// Revokes `part` with one bulk request. If Fastly refuses it as a whole for a reason that may
/// concern only some ids (400/403/404/422):
/// 1. a refused chunk is *sifted*: each id is looked up with `GET /tokens/{id}` (reads are not
///    rate limited); ids that are gone are reported so, and the rest is revoked in one request;
/// 2. if that is refused too (or nothing was missing), the part is halved and each half
///    retried, down to single revokes: k bad ids among n cost about 2k·log2(n) requests.
fn revoke_part<'a>(
    client: &'a Client,
    part: &'a [TokenId],
    stage: Stage,
    report: &'a mut BulkRevokeReport,
    stop: &'a mut Option<Arc<Error>>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
    Box::pin(async move {
        if part.is_empty() {
            return;
        }
        if let Some(error) = stop.as_ref() {
            report.entries.extend(
                part.iter()
                    .map(|id| (id.clone(), RevokeStatus::Failed(error.clone()))),
            );
            return;
        }
        report.requests += 1;
        // A lone id left by splitting goes to the single endpoint, whose 404 means "gone".
        if let ([id], Stage::Half) = (part, stage) {
            let status = match client.revoke_token(id).await {
                Ok(RevokeOutcome::Revoked) => RevokeStatus::Revoked,
                Ok(RevokeOutcome::AlreadyGone) => RevokeStatus::AlreadyGone,
                Err(error) => {
                    let error = Arc::new(error);
                    if stops_everything(&error) {
                        *stop = Some(error.clone());
                    }
                    RevokeStatus::Failed(error)
                }
            };
            report.entries.push((id.clone(), status));
            return;
        }
        match revoke_chunk(client, part).await {
            Ok(()) => report
                .entries
                .extend(part.iter().map(|id| (id.clone(), RevokeStatus::Revoked))),
            // A 403 may mean "not yours", and a lookup of someone else's token may answer 404
            // too: never sift on it, or a live token could be reported gone.
            Err(error)
                if worth_splitting(&error) && stage == Stage::Chunk && !error.is_forbidden() =>
            {
                let remaining = sift(client, part, report).await;
                if remaining.len() == part.len() {
                    // Nothing was missing: the refusal is about something else. Halve.
                    halve(client, part, report, stop).await;
                } else if !remaining.is_empty() {
                    let remaining: Vec<TokenId> = remaining.into_iter().cloned().collect();
                    revoke_part(client, &remaining, Stage::Sifted, report, stop).await;
                }
            }
            Err(error) if worth_splitting(&error) => halve(client, part, report, stop).await,
            Err(error) => {
                let error = Arc::new(error);
                if stops_everything(&error) {
                    *stop = Some(error.clone());
                }
                report.entries.extend(
                    part.iter()
                        .map(|id| (id.clone(), RevokeStatus::Failed(error.clone()))),
                );
            }
        }
    })
}

async fn halve(
    client: &Client,
    part: &[TokenId],
    report: &mut BulkRevokeReport,
    stop: &mut Option<Arc<Error>>,
) {
    if part.len() <= 1 {
        return revoke_part(client, part, Stage::Half, report, stop).await;
    }
    let (left, right) = part.split_at(part.len() / 2);
    revoke_part(client, left, Stage::Half, report, stop).await;
    revoke_part(client, right, Stage::Half, report, stop).await;
}

/// Looks each id up; reports those Fastly no longer has as already gone and returns the rest.
async fn sift<'a>(
    client: &Client,
    part: &'a [TokenId],
    report: &mut BulkRevokeReport,
) -> Vec<&'a TokenId> {
    let mut remaining = Vec::with_capacity(part.len());
    for id in part {
        report.lookups += 1;
        match client.get_token(id).await {
            Err(e) if e.is_not_found() => {
                report.entries.push((id.clone(), RevokeStatus::AlreadyGone))
            }
            // Found, or the lookup failed: keep it, the revoke will tell.
            _ => remaining.push(id),
        }
    }
    remaining
}

async fn revoke_chunk(client: &Client, chunk: &[TokenId]) -> Result<(), Error> {
    const OP: &str = "bulk_revoke_tokens";
    let body = BulkRevokeRequest {
        data: chunk
            .iter()
            .map(|id| BulkRevokeItem {
                id: id.as_str().to_string(),
                type_: BulkRevokeItemType::Token,
            })
            .collect(),
    };
    let raw = client.keyed()?;
    client
        .run(OP, true, || raw.bulk_revoke_tokens(&body))
        .await
        .map(|_| ())
}
