//! The fault matrix: every operation × every fault a server or network can produce, with the
//! exact outcome, the exact number of attempts, and a bound on the time taken.
//!
//! A scripted HTTP/1.1 server on loopback plays each fault byte by byte (connection resets,
//! trickling bodies, non-UTF-8, oversized bodies...), one connection per attempt, so attempts are
//! counted exactly. The table in `docs/fault-matrix.md` is generated from these results and
//! checked against them: run with `FASTLY_TOKENS_BLESS=1` after an intended change.
//! `FAULT_FILTER=<text>` runs only the cells whose "operation fault" name contains the text.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;

use common::Op;
use fastly_tokens::secrecy::ExposeSecret as _;
use fastly_tokens::{Client, Error, RetryPolicy, Timeout, TransportKind};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

const TIMEOUT: Duration = Duration::from_secs(1);
/// The whole-call limit: under three attempt timeouts, so a server that never answers shows
/// which limit ends a retried call.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(2500);
/// Secrets the cells send: no error of any cell may show them.
const KEY: &str = "fault-matrix-key-SECRET-_0";
const TOKEN: &str = r#"{"id":"6FzGpbNZ8sPqk2yXwT3vHm","user_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","name":"n","last_used_at":null,"created_at":"2026-10-14T11:25:39Z","expires_at":null,"ip":null,"user_agent":null,"sudo_expires_at":null,"scopes":["global"],"scope":"global","services":[],"service_id":null}"#;
const CREATED: &str = r#"{"id":"2j1hEyxXOEqYaSipeZHaW4","name":"n","user_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","service_id":null,"expires_at":null,"created_at":"2026-11-02T18:46:13Z","updated_at":"2026-11-02T18:46:13Z","scope":"global","services":[],"access_token":"FAULTSfaultsFAULTSfaults-_SECRET"}"#;
const ACCESS_TOKEN: &str = "FAULTSfaultsFAULTSfaults-_SECRET";

const AUTOMATION: &str = r#"{"id":"4bAutoTok0000000000002","services":null,"name":"n","role":"engineer","access_token":"","scope":"global","ip":null,"created_at":"2026-10-25T05:12:57Z","last_used_at":null,"expires_at":null,"user_agent":null}"#;
const AUTOMATION_ITEM: &str = r#"{"id":"4bAutoTok0000000000001","creator_id":"1tSCjJnpQYBBCAsIfI6pX0","customer_id":"51MumwLiSJyFTWhtbByYgR","name":"n","access_token":"","role":"engineer","ip":null,"user_agent":null,"scopes":"global","services":null,"service_id":null,"sudo_expires_at":null,"last_used_at":null,"created_at":"2026-01-15T11:51:55Z","expires_at":null,"tls_access":false}"#;
const AUTOMATION_CREATED: &str = r#"{"id":"4bAutoTok0000000000003","services":[],"name":"n","role":"engineer","access_token":"FAULTSfaultsFAULTSfaults-_SECRET","scope":"global","ip":"","created_at":"2026-11-02T12:01:39Z","last_used_at":"","expires_at":"","user_agent":"","tls_access":false,"customer_id":"51MumwLiSJyFTWhtbByYgR"}"#;

const OPS: [Op; 11] = Op::ALL;

/// The status and body of a normal success.
fn success(op: Op) -> (u16, String) {
    match op {
        Op::Current | Op::Get => (200, TOKEN.to_string()),
        Op::List | Op::Customer => (200, format!("[{TOKEN},{TOKEN}]")),
        Op::Revoke | Op::RevokeSelf | Op::Bulk => (204, String::new()),
        Op::Create => (200, CREATED.to_string()),
        Op::AutomationList => (
            200,
            format!(
                r#"{{"data":[{AUTOMATION_ITEM},{AUTOMATION_ITEM}],"meta":{{"per_page":100,"current_page":1,"record_count":2,"total_pages":1}}}}"#
            ),
        ),
        Op::AutomationGet => (200, AUTOMATION.to_string()),
        Op::AutomationCreate => (200, AUTOMATION_CREATED.to_string()),
    }
}

fn has_body(op: Op) -> bool {
    success(op).0 == 200
}

#[derive(Clone, Debug)]
enum Fault {
    Refused,
    ResetBeforeResponse,
    ResetDuringBody,
    TruncatedJson,
    InvalidJson,
    NonUtf8,
    Html502,
    Status(u16),
    RateLimited(Option<(&'static str, &'static str)>),
    MalformedRateLimitOnSuccess,
    SlowHeaders,
    TrickleBody,
    TooLarge,
    WrongContentType,
    UnknownFields,
    UnknownScope,
    RedirectElsewhere,
    /// A 200 whose body is the request, as an echo service or a misrouted proxy sends it.
    EchoRequest,
    /// An error status whose `msg` is the request (a hostile or debugging server).
    EchoInErrorMessage,
    /// The success body with status 201 (what some of Fastly's SDK documents say create
    /// answers).
    Created201,
    /// The success body, but `created_at` is not a timestamp.
    UndecodableTimestamp,
    /// Accepts the connection, reads the request, never answers.
    Silent,
}

fn faults() -> Vec<(String, Fault)> {
    let mut v = vec![
        ("connection refused".to_string(), Fault::Refused),
        (
            "reset before the response".into(),
            Fault::ResetBeforeResponse,
        ),
        ("reset during the body".into(), Fault::ResetDuringBody),
        ("truncated JSON".into(), Fault::TruncatedJson),
        ("invalid JSON".into(), Fault::InvalidJson),
        ("non-UTF-8 body".into(), Fault::NonUtf8),
        ("HTML error page, 502".into(), Fault::Html502),
    ];
    for s in [500, 502, 503, 504, 408] {
        v.push((format!("{s}"), Fault::Status(s)));
    }
    v.extend([
        (
            "429 with rate-limit headers".to_string(),
            Fault::RateLimited(Some(("0", "RESET"))),
        ),
        ("429 without headers".into(), Fault::RateLimited(None)),
        (
            "429 with malformed headers".into(),
            Fault::RateLimited(Some(("many", "soon"))),
        ),
        (
            "malformed rate-limit headers on success".into(),
            Fault::MalformedRateLimitOnSuccess,
        ),
        ("headers slower than the timeout".into(), Fault::SlowHeaders),
        ("body trickles past the timeout".into(), Fault::TrickleBody),
        ("body over the 32 MiB cap".into(), Fault::TooLarge),
        ("wrong Content-Type".into(), Fault::WrongContentType),
        ("unknown fields".into(), Fault::UnknownFields),
        ("unknown scope values".into(), Fault::UnknownScope),
        ("redirect to another host".into(), Fault::RedirectElsewhere),
        ("200 echoing the request".into(), Fault::EchoRequest),
        (
            "400 echoing the request in msg".into(),
            Fault::EchoInErrorMessage,
        ),
        ("success body with status 201".into(), Fault::Created201),
        (
            "success body, undecodable created_at".into(),
            Fault::UndecodableTimestamp,
        ),
        ("silent server".into(), Fault::Silent),
    ]);
    v
}

/// What a cell must produce: outcome text and attempts.
fn expected(op: Op, fault: &Fault) -> (String, Option<usize>) {
    let retried = if op.idempotent() { 3 } else { 1 };
    let decode = || ("decode error".to_string(), Some(1));
    let ok = || ("ok".to_string(), Some(1));
    // For the 204 operations the fault is a 200 with that body: any 2xx to a revoke means the
    // token is gone, and the body is not read.
    let revoke = matches!(op, Op::Revoke | Op::RevokeSelf | Op::Bulk);
    let timeout = || {
        if op.idempotent() {
            ("transport: operation timeout".to_string(), Some(3))
        } else {
            ("transport: attempt timeout".to_string(), Some(1))
        }
    };
    match fault {
        Fault::ResetDuringBody
        | Fault::TruncatedJson
        | Fault::InvalidJson
        | Fault::NonUtf8
        | Fault::TooLarge
        | Fault::TrickleBody
        | Fault::EchoRequest
        | Fault::Created201
        | Fault::UndecodableTimestamp
            if revoke =>
        {
            ok()
        }
        Fault::Created201 if matches!(op, Op::Create | Op::AutomationCreate) => ok(),
        Fault::Created201 | Fault::EchoRequest => decode(),
        Fault::UndecodableTimestamp if matches!(op, Op::Create | Op::AutomationCreate) => {
            ("created, secret kept in the error".to_string(), Some(1))
        }
        Fault::UndecodableTimestamp => decode(),
        // Bulk: the refused chunk is sifted with a lookup, then its one id revoked alone.
        Fault::EchoInErrorMessage if op == Op::Bulk => ("API 400".to_string(), Some(3)),
        Fault::EchoInErrorMessage => ("API 400".to_string(), Some(1)),
        Fault::Silent => timeout(),
        Fault::Refused => ("transport: connect".into(), None),
        Fault::ResetBeforeResponse | Fault::ResetDuringBody => {
            ("transport: interrupted".into(), Some(retried))
        }
        Fault::TruncatedJson | Fault::InvalidJson | Fault::NonUtf8 | Fault::TooLarge => decode(),
        Fault::Html502 => ("API 502".into(), Some(retried)),
        Fault::Status(s) => (format!("API {s}"), Some(retried)),
        Fault::RateLimited(Some(("0", _))) => ("API 429, reset known".into(), Some(1)),
        Fault::RateLimited(_) => ("API 429".into(), Some(1)),
        Fault::MalformedRateLimitOnSuccess
        | Fault::WrongContentType
        | Fault::UnknownFields
        | Fault::UnknownScope => ("ok".into(), Some(1)),
        Fault::SlowHeaders | Fault::TrickleBody => timeout(),
        Fault::RedirectElsewhere => ("API 302, not followed".into(), Some(1)),
    }
}

fn describe(error: Option<&Error>) -> String {
    match error {
        None => "ok".into(),
        Some(Error::Api(api))
            if api.status() == 429 && api.rate_limit().and_then(|r| r.reset()).is_some() =>
        {
            "API 429, reset known".into()
        }
        Some(Error::Api(api)) if (300..400).contains(&api.status()) => {
            format!("API {}, not followed", api.status())
        }
        Some(Error::Api(api)) => format!("API {}", api.status()),
        Some(Error::Decode(_)) => "decode error".into(),
        Some(Error::CreatedUndecoded(c)) if c.access_token().expose_secret() == ACCESS_TOKEN => {
            "created, secret kept in the error".into()
        }
        Some(Error::Transport(t)) => match (t.kind(), t.timeout()) {
            (TransportKind::Connect, _) => "transport: connect".into(),
            (TransportKind::Timeout, Some(Timeout::Operation(_))) => {
                "transport: operation timeout".into()
            }
            (TransportKind::Timeout, Some(Timeout::Attempt(_))) => {
                "transport: attempt timeout".into()
            }
            (TransportKind::Timeout, _) => "transport: timeout".into(),
            _ => "transport: interrupted".into(),
        },
        Some(other) => format!("other: {other}"),
    }
}

use common::read_request;

fn response(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

// `set_linger(0)` is deprecated because a non-zero linger blocks on drop; zero sends an RST at
// once, which is exactly the "connection reset" fault.
#[allow(deprecated)]
async fn serve(stream: &mut TcpStream, op: Op, fault: &Fault, elsewhere: &str) {
    let Some(request) = read_request(stream).await else {
        return;
    };
    let (ok_status, ok_body) = success(op);
    let json = || vec![("content-type", "application/json".to_string())];
    let body_status = if has_body(op) { ok_status } else { 200 };
    let bytes = match fault {
        Fault::Refused => return,
        Fault::ResetBeforeResponse => {
            let _ = stream.set_linger(Some(Duration::ZERO));
            return;
        }
        Fault::ResetDuringBody => {
            let full = if has_body(op) {
                ok_body.clone()
            } else {
                TOKEN.to_string()
            };
            let mut out = response(body_status, &json(), full.as_bytes());
            out.truncate(out.len() - full.len() / 2);
            let _ = stream.write_all(&out).await;
            let _ = stream.set_linger(Some(Duration::ZERO));
            return;
        }
        Fault::TruncatedJson => {
            let full = if has_body(op) {
                ok_body.clone()
            } else {
                TOKEN.to_string()
            };
            response(body_status, &json(), &full.as_bytes()[..full.len() / 2])
        }
        Fault::InvalidJson => response(body_status, &json(), b"{\"id\": nope}"),
        Fault::NonUtf8 => response(body_status, &json(), b"{\"id\":\"\xff\xfe\"}"),
        Fault::Html502 => response(
            502,
            &[("content-type", "text/html".to_string())],
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        Fault::Status(s) => response(*s, &json(), br#"{"msg":"server trouble"}"#),
        Fault::RateLimited(headers) => {
            let mut h = json();
            if let Some((remaining, reset)) = headers {
                let reset = if *reset == "RESET" {
                    (chrono::Utc::now().timestamp() + 3600).to_string()
                } else {
                    reset.to_string()
                };
                h.push(("fastly-ratelimit-remaining", remaining.to_string()));
                h.push(("fastly-ratelimit-reset", reset));
            }
            response(429, &h, br#"{"msg":"Rate limit exceeded"}"#)
        }
        Fault::MalformedRateLimitOnSuccess => {
            let mut h = json();
            h.push(("fastly-ratelimit-remaining", "-3".to_string()));
            h.push(("fastly-ratelimit-reset", "next hour".to_string()));
            response(ok_status, &h, ok_body.as_bytes())
        }
        Fault::SlowHeaders => {
            tokio::time::sleep(TIMEOUT * 3).await;
            response(ok_status, &json(), ok_body.as_bytes())
        }
        Fault::TrickleBody => {
            let full = if has_body(op) {
                ok_body.clone()
            } else {
                TOKEN.to_string()
            };
            let out = response(body_status, &json(), full.as_bytes());
            let head_len = out.len() - full.len();
            let _ = stream.write_all(&out[..head_len]).await;
            for byte in &out[head_len..] {
                if stream.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            return;
        }
        Fault::TooLarge => {
            let size = fastly_tokens_raw_cap() + 1024;
            let head = format!(
                "HTTP/1.1 {body_status} X\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n["
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let filler = vec![b' '; 1 << 20];
            let mut sent = 1;
            while sent < size {
                let n = filler.len().min(size - sent);
                if stream.write_all(&filler[..n]).await.is_err() {
                    return;
                }
                sent += n;
            }
            return;
        }
        Fault::WrongContentType => response(
            ok_status,
            &[("content-type", "text/plain; charset=latin1".to_string())],
            ok_body.as_bytes(),
        ),
        Fault::UnknownFields => {
            let body = if has_body(op) {
                ok_body.replace(
                    "\"name\":\"n\"",
                    "\"name\":\"n\",\"new_field\":{\"a\":[1,2]},\"rotated_at\":null",
                )
            } else {
                String::new()
            };
            response(ok_status, &json(), body.as_bytes())
        }
        Fault::UnknownScope => {
            let body = ok_body.replace(
                "\"scope\":\"global\"",
                "\"scope\":\"global edge:compute:write\"",
            );
            response(ok_status, &json(), body.as_bytes())
        }
        Fault::EchoRequest => response(200, &json(), &request),
        Fault::EchoInErrorMessage => {
            let msg = String::from_utf8_lossy(&request).into_owned();
            let body = serde_json::json!({ "msg": msg, "detail": msg }).to_string();
            response(400, &json(), body.as_bytes())
        }
        Fault::Created201 => {
            let body = if has_body(op) {
                ok_body.clone()
            } else {
                TOKEN.to_string()
            };
            response(201, &json(), body.as_bytes())
        }
        Fault::UndecodableTimestamp => {
            let full = if has_body(op) {
                ok_body.clone()
            } else {
                TOKEN.to_string()
            };
            let body = full.replace("\"created_at\":\"2026-", "\"created_at\":\"yesterday 2026-");
            response(body_status, &json(), body.as_bytes())
        }
        Fault::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        Fault::RedirectElsewhere => response(
            302,
            &[("location", format!("{elsewhere}/tokens/self"))],
            b"",
        ),
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

fn fastly_tokens_raw_cap() -> usize {
    32 * 1024 * 1024
}

struct CellResult {
    outcome: String,
    attempts: usize,
    elapsed: Duration,
}

async fn run_cell(op: Op, fault: Fault) -> CellResult {
    // A second server that must never be contacted (redirect target).
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let elsewhere_url = format!("http://{}", elsewhere.local_addr().expect("addr"));
    let contacted_elsewhere = Arc::new(AtomicUsize::new(0));
    {
        let contacted = contacted_elsewhere.clone();
        tokio::spawn(async move {
            while elsewhere.accept().await.is_ok() {
                contacted.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    // A refused port stays bound, without listening, for the whole cell: a port merely closed
    // could be handed to another cell's "elsewhere" server running at the same time, and the
    // connection would then land there.
    let mut _reserved = None;
    let mut listener = None;
    let base_url = if matches!(fault, Fault::Refused) {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let url = format!("http://{}", socket.local_addr().expect("addr"));
        _reserved = Some(socket);
        url
    } else {
        let bound = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", bound.local_addr().expect("addr"));
        listener = Some(bound);
        url
    };
    let attempts = Arc::new(AtomicUsize::new(0));
    if let Some(listener) = listener {
        let attempts = attempts.clone();
        let fault = fault.clone();
        let elsewhere_url = elsewhere_url.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                attempts.fetch_add(1, Ordering::SeqCst);
                let fault = fault.clone();
                let elsewhere_url = elsewhere_url.clone();
                tokio::spawn(async move { serve(&mut stream, op, &fault, &elsewhere_url).await });
            }
        });
    }
    let client = Client::builder()
        .token(KEY)
        .base_url(&base_url)
        .attempt_timeout(TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .connect_timeout(TIMEOUT)
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(10)),
        )
        .build()
        .expect("client");
    let started = Instant::now();
    let error = op.run(&client).await.err();
    let elapsed = started.elapsed();
    let outcome = describe(error.as_deref());
    if let Some(error) = &error {
        let shown = common::shown(error);
        for secret in [KEY, common::PASSWORD, common::OTP, ACCESS_TOKEN] {
            assert!(
                !shown.contains(secret),
                "{op:?} {fault:?}: a secret in {shown}"
            );
        }
    }
    assert_eq!(
        contacted_elsewhere.load(Ordering::SeqCst),
        0,
        "{op:?} {fault:?}: the redirect was followed"
    );
    CellResult {
        outcome,
        attempts: attempts.load(Ordering::SeqCst),
        elapsed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix() {
    let faults = faults();
    let filter = std::env::var("FAULT_FILTER").unwrap_or_default();
    // One fault (row) at a time, its operations concurrently: enough parallelism to keep the
    // test short, little enough that a loaded CI machine does not turn faults into timeouts.
    // Sequential rows also keep a port released by a "refused" cell from being rebound by
    // another cell's server while the refused cell is connecting.
    let mut results = Vec::new();
    for (name, fault) in &faults {
        let handles: Vec<_> = OPS
            .into_iter()
            .filter(|op| format!("{} {name}", op.name()).contains(&filter))
            .map(|op| {
                let (name, fault) = (name.clone(), fault.clone());
                tokio::spawn(async move {
                    let cell = run_cell(op, fault.clone()).await;
                    (name, op, fault, cell)
                })
            })
            .collect();
        for h in handles {
            results.push(h.await.expect("cell task"));
        }
    }
    let mut failures = Vec::new();
    let mut cells = std::collections::BTreeMap::new();
    for (name, op, fault, cell) in results {
        let (want_outcome, want_attempts) = expected(op, &fault);
        if cell.outcome != want_outcome {
            failures.push(format!(
                "{} × {name}: got {:?}, want {want_outcome:?}",
                op.name(),
                cell.outcome
            ));
        }
        if let Some(n) = want_attempts
            && cell.attempts != n
        {
            failures.push(format!(
                "{} × {name}: {} attempts, want {n}",
                op.name(),
                cell.attempts
            ));
        }
        // Bounded by the operation timeout, plus slack for a loaded machine.
        let bound = OPERATION_TIMEOUT + Duration::from_secs(2);
        if cell.elapsed > bound {
            failures.push(format!(
                "{} × {name}: took {:?} > {bound:?}",
                op.name(),
                cell.elapsed
            ));
        }
        let attempts = match want_attempts {
            Some(_) => format!(" ×{}", cell.attempts),
            None => String::new(),
        };
        cells.insert((name, op.name()), format!("{}{attempts}", cell.outcome));
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let table = render(&faults, &cells);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fault-matrix.md");
    if std::env::var_os("FASTLY_TOKENS_BLESS").is_some() {
        std::fs::write(&path, &table).expect("write table");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, table,
        "docs/fault-matrix.md is out of date; rerun with FASTLY_TOKENS_BLESS=1 and review the diff"
    );
}

fn render(
    faults: &[(String, Fault)],
    cells: &std::collections::BTreeMap<(String, &'static str), String>,
) -> String {
    let mut out = String::from(
        "# Fault matrix\n\n\
         Every operation against every fault, with the outcome and the number of HTTP attempts\n\
         (`×n`; connection refused has none to count). Generated by `tests/faults.rs` from the real\n\
         results and checked against them on every test run. Settings: default retry policy\n\
         (2 retries, no waiting on 429), 1 s attempt timeout, 2.5 s operation timeout.\n\
         `revoke_tokens` reports per id; the\n\
         cell shows the reason of its one failed id. A redirect to another host is never followed,\n\
         so `Fastly-Key` never reaches it (the test asserts the other host gets no connection).\n\
         Any 2xx to a revoke means revoked (its body is not read); any 2xx to a create whose\n\
         body holds an `access_token` returns the secret, decoded or in the error. No cell's\n\
         error shows the API key, password, OTP or access token (asserted).\n\n",
    );
    out.push_str("| fault |");
    for op in OPS {
        out.push_str(&format!(" `{}` |", op.name()));
    }
    out.push_str("\n|---|");
    for _ in OPS {
        out.push_str("---|");
    }
    out.push('\n');
    for (name, _) in faults {
        out.push_str(&format!("| {name} |"));
        for op in OPS {
            let cell = cells
                .get(&(name.clone(), op.name()))
                .map_or("?", String::as_str);
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

/// With the default limits, a server that accepts and never answers ends `current_token`
/// at the 60 s operation timeout. Takes a minute, so it runs only with
/// `FASTLY_TOKENS_SLOW_TESTS=1`; prints the time and the requests sent.
#[tokio::test]
async fn silent_server_with_default_limits() {
    if std::env::var_os("FASTLY_TOKENS_SLOW_TESTS").is_none() {
        eprintln!("skipped: set FASTLY_TOKENS_SLOW_TESTS=1 to wait out the 60 s default limit");
        return;
    }
    fn silent(_: &[u8]) -> Option<Vec<u8>> {
        None
    }
    let (url, requests) = common::scripted_server(silent).await;
    let client = Client::builder()
        .token(KEY)
        .base_url(&url)
        .build()
        .expect("client");
    let started = Instant::now();
    let error = client.current_token().await.expect_err("silent");
    let took = started.elapsed();
    let requests = requests.load(Ordering::SeqCst);
    eprintln!("silent server, defaults: {took:?}, {requests} requests: {error}");
    let Error::Transport(t) = &error else {
        panic!("{error}")
    };
    assert_eq!(
        t.timeout(),
        Some(Timeout::Operation(fastly_tokens::DEFAULT_OPERATION_TIMEOUT))
    );
    assert!(took < fastly_tokens::DEFAULT_OPERATION_TIMEOUT + Duration::from_secs(2));
    assert_eq!(
        requests, 2,
        "30 s per attempt: the second is cut by the 60 s limit"
    );
}
