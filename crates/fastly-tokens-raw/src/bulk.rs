//! The `bulk_revoke_tokens` body, written by hand for speed (fix-up 5 in `openapi/README.md`).
//!
//! The generated type is a `Vec` of structs, each with an owned `String` and an enum: a heap
//! allocation per id, a measurable part of a bulk revoke (see `BENCHMARKS.md`). This type
//! writes the JSON:API document once, when it is built, in the order of the recorded requests
//! (`type`, then `id`), and the generated `bulk_revoke_tokens` sends those bytes as the body
//! ([`json_body`](BulkRevokeRequest::json_body), fix-up 8): serializing the document id by id
//! through serde (a struct and two escaped strings per id) cost 750 instructions per id, a
//! third of a 100-id bulk call (measured with `cargo xtask bench --instructions`). Ids that
//! need escaping (never a valid Fastly id) are escaped by serde_json. `Serialize` writes the
//! same document through serde, for callers who serialize the type themselves.

use serde::ser::{Serialize, SerializeSeq, SerializeStruct, Serializer};

const HEAD: &str = r#"{"data":["#;
const ITEM_HEAD: &str = r#"{"type":"token","id":"#;
const TAIL: &str = "]}";

/// `{"data":[{"type":"token","id":"…"},…]}`, written once. [`ids`](Self::ids) reads the ids
/// back from the document (each one's place is kept); an id that needed escaping (never a
/// valid Fastly id) is also kept as given.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkRevokeRequest {
    document: bytes::Bytes,
    /// Where each id is: in `document` (plain) or in `escaped` (as given).
    spans: Vec<Span>,
    escaped: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Span {
    Document(usize, usize),
    Escaped(usize, usize),
}

impl Default for BulkRevokeRequest {
    fn default() -> Self {
        Self::for_ids([])
    }
}

impl BulkRevokeRequest {
    /// The document for these token ids, in order.
    pub fn for_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let ids: Vec<&str> = ids.into_iter().collect();
        let bytes: usize = ids.iter().map(|id| id.len()).sum();
        // Exact for ids without characters to escape (every valid id): one allocation.
        let per_id = ITEM_HEAD.len() + r#""},"#.len();
        let mut document =
            String::with_capacity(HEAD.len() + bytes + ids.len() * per_id + TAIL.len());
        let mut spans = Vec::with_capacity(ids.len());
        let mut escaped = String::new();
        document.push_str(HEAD);
        for (n, id) in ids.into_iter().enumerate() {
            if n > 0 {
                document.push(',');
            }
            document.push_str(ITEM_HEAD);
            if is_plain(id) {
                document.push('"');
                spans.push(Span::Document(document.len(), document.len() + id.len()));
                document.push_str(id);
                document.push('"');
            } else {
                // Serializing a `&str` to JSON cannot fail.
                document.push_str(&serde_json::to_string(id).unwrap_or_else(|_| "\"\"".into()));
                spans.push(Span::Escaped(escaped.len(), escaped.len() + id.len()));
                escaped.push_str(id);
            }
            document.push('}');
        }
        document.push_str(TAIL);
        Self {
            document: bytes::Bytes::from(document),
            spans,
            escaped,
        }
    }

    /// The document as the request body: what `bulk_revoke_tokens` sends (shared, not copied).
    pub fn json_body(&self) -> bytes::Bytes {
        self.document.clone()
    }

    /// The ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|span| match *span {
            // The document is UTF-8 (built from `&str`s) and spans fall on id boundaries.
            Span::Document(start, end) => {
                std::str::from_utf8(&self.document[start..end]).unwrap_or_default()
            }
            Span::Escaped(start, end) => &self.escaped[start..end],
        })
    }
}

/// Nothing in `value` needs escaping in a JSON string. Valid ids are letters and digits: the
/// common case, checked first.
fn is_plain(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_alphanumeric())
        || value
            .bytes()
            .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\')
}

struct Item<'a>(&'a str);

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut item = serializer.serialize_struct("BulkRevokeItem", 2)?;
        item.serialize_field("type", "token")?;
        item.serialize_field("id", self.0)?;
        item.end()
    }
}

struct Items<'a>(&'a BulkRevokeRequest);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.spans.len()))?;
        for id in self.0.ids() {
            seq.serialize_element(&Item(id))?;
        }
        seq.end()
    }
}

impl Serialize for BulkRevokeRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut doc = serializer.serialize_struct("BulkRevokeRequest", 1)?;
        doc.serialize_field("data", &Items(self))?;
        doc.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_jsonapi_document() {
        let body = BulkRevokeRequest::for_ids(["2j1hEyxXOEqYaSipeZHaW4", "5NSGsvF9ybBxXAdEQhcYPz"]);
        assert_eq!(
            serde_json::to_string(&body).expect("serializes"),
            r#"{"data":[{"type":"token","id":"2j1hEyxXOEqYaSipeZHaW4"},{"type":"token","id":"5NSGsvF9ybBxXAdEQhcYPz"}]}"#
        );
        assert_eq!(
            serde_json::to_string(&BulkRevokeRequest::for_ids([])).expect("serializes"),
            r#"{"data":[]}"#
        );
    }

    #[test]
    fn odd_ids_are_escaped_and_the_result_is_the_same_as_serdes() {
        let ids = [
            "a\"b", "c\\d", "e\nf", "ü", "", " x ", "\u{7f}", "\u{202e}", "\t",
        ];
        let body = BulkRevokeRequest::for_ids(ids);
        let expected = serde_json::json!({ "data": ids.iter().map(|id| serde_json::json!({"type": "token", "id": id})).collect::<Vec<_>>() });
        let sent: serde_json::Value =
            serde_json::from_slice(&body.json_body()).expect("the wire body is JSON");
        assert_eq!(sent, expected);
        assert_eq!(serde_json::to_value(&body).expect("serializes"), expected);
        assert_eq!(body.ids().collect::<Vec<_>>(), ids);
    }

    #[test]
    fn the_wire_body_and_serde_agree_byte_for_byte() {
        for ids in [
            &[][..],
            &["2j1hEyxXOEqYaSipeZHaW4"][..],
            &["a", "b\"", "c"][..],
        ] {
            let body = BulkRevokeRequest::for_ids(ids.iter().copied());
            assert_eq!(
                String::from_utf8(body.json_body().to_vec()).expect("utf-8"),
                serde_json::to_string(&body).expect("serializes"),
            );
        }
    }
}
