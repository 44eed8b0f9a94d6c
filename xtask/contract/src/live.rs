//! The live checks: the client's requests through Prism's mock, and the fake's responses
//! through Prism's validating proxy. A recording proxy in front of Prism keeps, for every
//! request, the operation being exercised and Prism's `sl-violations` header.
//!
//! ```text
//! fastly_tokens::Client ──▶ recorder ──▶ prism mock SPEC --errors
//! fastly_tokens::Client ──▶ recorder ──▶ prism proxy SPEC <fake> --errors ──▶ fastly-tokens-fake
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};

/// One request seen by the recorder.
#[derive(Debug, Clone)]
pub struct Seen {
    pub label: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub violations: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

#[derive(Default)]
struct Log {
    label: String,
    seen: Vec<Seen>,
}

/// A recording reverse proxy on loopback.
pub struct Recorder {
    pub base_url: String,
    log: Arc<Mutex<Log>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Recorder {
    pub async fn start(upstream: String) -> std::io::Result<Self> {
        let log = Arc::new(Mutex::new(Log::default()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        let state = (log.clone(), http, upstream);
        let app = axum::Router::new()
            .fallback(
                |axum::extract::State((log, http, upstream)): axum::extract::State<(
                    Arc<Mutex<Log>>,
                    reqwest::Client,
                    String,
                )>,
                 method: Method,
                 uri: Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    forward(&log, &http, &upstream, method, uri, headers, body).await
                },
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            base_url: format!("http://{addr}"),
            log,
            _stop: stop,
        })
    }

    /// Names the operation the next requests belong to.
    pub fn label(&self, label: &str) {
        lock(&self.log).label = label.to_string();
    }

    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.log).seen.clone()
    }
}

async fn forward(
    log: &Mutex<Log>,
    http: &reqwest::Client,
    upstream: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let url = format!(
        "{upstream}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut request = http.request(method.clone(), url).body(body.clone());
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let (status, response_headers, bytes) = match request.send().await {
        Ok(resp) => {
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.unwrap_or_default();
            (status, headers, bytes)
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from(format!("recorder: upstream failed: {e}")),
        ),
    };
    {
        let mut log = lock(log);
        let label = log.label.clone();
        log.seen.push(Seen {
            label,
            method: method.to_string(),
            path: uri.path().to_string(),
            status: status.as_u16(),
            violations: response_headers
                .get("sl-violations")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            content_type,
            body,
        });
    }
    let mut response = Response::builder().status(status);
    for (name, value) in &response_headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A Prism process, killed on drop.
pub struct Prism {
    pub base_url: String,
    child: tokio::process::Child,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Prism {
    /// `prism mock SPEC --errors` or `prism proxy SPEC UPSTREAM --errors`.
    pub async fn start(tools: &Path, spec: &Path, upstream: Option<&str>) -> Result<Self, String> {
        let port = free_port().map_err(|e| e.to_string())?;
        let bin: PathBuf = tools.join("node_modules/.bin/prism");
        let mut cmd = tokio::process::Command::new(&bin);
        match upstream {
            None => cmd.arg("mock").arg(spec),
            Some(u) => cmd.arg("proxy").arg(spec).arg(u),
        };
        cmd.args(["--errors", "-h", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let prism = Prism {
            base_url: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(prism);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("Prism did not start listening within 30 s".to_string())
    }
}

/// Every recorded request with violations, or a failed/unexpected outcome, as messages.
pub fn violations(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .filter_map(|s| {
            s.violations
                .as_ref()
                .filter(|v| v.as_str() != "[]")
                .map(|v| format!("{}: {} {} -> {}: {v}", s.label, s.method, s.path, s.status))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_sl_violations_entry_is_a_failure_warnings_included() {
        let seen = |v: Option<&str>| Seen {
            label: "create_token".into(),
            method: "POST".into(),
            path: "/tokens".into(),
            status: 200,
            violations: v.map(str::to_string),
            content_type: None,
            body: Bytes::new(),
        };
        assert!(violations(&[seen(None), seen(Some("[]"))]).is_empty());
        let found = violations(&[seen(Some(
            r#"[{"location":["response"],"severity":"Warning","message":"x"}]"#,
        ))]);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("create_token: POST /tokens"));
    }
}
