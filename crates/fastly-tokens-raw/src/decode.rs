//! `json`: how every JSON response of the generated client is decoded (fix-up 7 in
//! `openapi/README.md` puts it in place of progenitor's `ResponseValue::from_response`).
//!
//! The result is the same as progenitor's: the decoded value with the response's status and
//! headers, `Error::ResponseBodyError` when the body cannot be read, and
//! `Error::InvalidResponsePayload` (with the body and serde_json's error) when it does not
//! decode. Two costs of progenitor's version are gone:
//!
//! * `serde_json::from_slice` validates UTF-8 string by string; a body is validated once here
//!   (`std::str::from_utf8`, which works on whole words at a time) and decoded with
//!   `serde_json::from_str`, serde_json's fastest entry point for text it knows is UTF-8.
//!   Measured with `cargo xtask bench --instructions`: about 2,600 instructions less per token of
//!   a list (BENCHMARKS.md). A body that is not UTF-8 is decoded with `from_slice`, so its error
//!   is the one progenitor's version gave;
//! * the response headers are moved into the result, not cloned.

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// Reads and decodes a JSON response body (see the module docs).
///
/// # Errors
///
/// `Error::ResponseBodyError` when the body cannot be read (a broken connection, a body over
/// [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES)); `Error::InvalidResponsePayload` when it is
/// not the JSON `T` expects.
pub async fn json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let decoded = match std::str::from_utf8(&full) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(&full),
    };
    let inner = decoded.map_err(|e| Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &'static [u8]) -> reqwest::Response {
        let http = http::Response::builder()
            .status(status)
            .header("x-marker", "kept")
            .body(reqwest::Body::from(body))
            .expect("response");
        reqwest::Response::from(http)
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Named {
        name: String,
    }

    #[tokio::test]
    async fn decodes_with_status_and_headers() {
        let value = json::<Named, ()>(response(200, br#"{"name":"caf\u00e9 \u2603"}"#))
            .await
            .expect("decodes");
        assert_eq!(value.status(), 200);
        assert_eq!(
            value.headers().get("x-marker").map(|v| v.as_bytes()),
            Some(&b"kept"[..])
        );
        assert_eq!(value.into_inner().name, "café ☃");
    }

    #[tokio::test]
    async fn the_same_error_as_progenitor_for_bad_json_and_bad_utf8() {
        for body in [
            &br#"{"name":1}"#[..],
            b"{\"name\":\"\xff\xfe\"}",
            b"",
            b"<html>",
        ] {
            let ours = json::<Named, ()>(response(200, body)).await;
            let theirs = ResponseValue::<Named>::from_response::<()>(response(200, body)).await;
            match (ours, theirs) {
                (
                    Err(Error::InvalidResponsePayload(a, ea)),
                    Err(Error::InvalidResponsePayload(b, eb)),
                ) => {
                    assert_eq!(a, b);
                    assert_eq!(ea.to_string(), eb.to_string(), "{body:?}");
                }
                (a, b) => panic!("{body:?}: ours {a:?}, progenitor's {b:?}"),
            }
        }
    }
}
