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

/// `{"data":[{"type":"token","id":"…"},…]}`, written once; the ids are kept too, in one
/// buffer, for [`ids`](Self::ids).
#[derive(Clone, Debug, PartialEq)]
pub struct BulkRevokeRequest {
    ids: String,
    ends: Vec<usize>,
    document: String,
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
        // Exact for ids without characters to escape (every valid id): one allocation each.
        let per_id = ITEM_HEAD.len() + r#""},"#.len();
        let mut body = Self {
            ids: String::with_capacity(bytes),
            ends: Vec::with_capacity(ids.len()),
            document: String::with_capacity(HEAD.len() + bytes + ids.len() * per_id + TAIL.len()),
        };
        body.document.push_str(HEAD);
        for (n, id) in ids.into_iter().enumerate() {
            body.ids.push_str(id);
            body.ends.push(body.ids.len());
            if n > 0 {
                body.document.push(',');
            }
            body.document.push_str(ITEM_HEAD);
            push_json_string(&mut body.document, id);
            body.document.push('}');
        }
        body.document.push_str(TAIL);
        body
    }

    /// The document as the request body: what `bulk_revoke_tokens` sends.
    pub fn json_body(&self) -> Vec<u8> {
        self.document.clone().into_bytes()
    }

    /// The ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.ids[start..end])
    }
}

/// `value` as a JSON string: copied as is when nothing in it needs escaping, else by
/// serde_json.
fn push_json_string(out: &mut String, value: &str) {
    // Valid ids are letters and digits: the common case, checked first.
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric())
        || value
            .bytes()
            .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\');
    if plain {
        out.push('"');
        out.push_str(value);
        out.push('"');
    } else {
        // Serializing a `&str` to JSON cannot fail.
        out.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string()));
    }
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
        let mut seq = serializer.serialize_seq(Some(self.0.ends.len()))?;
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
                String::from_utf8(body.json_body()).expect("utf-8"),
                serde_json::to_string(&body).expect("serializes"),
            );
        }
    }
}
