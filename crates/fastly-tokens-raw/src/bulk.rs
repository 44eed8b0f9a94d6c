//! The `bulk_revoke_tokens` body, written by hand for speed (fix-up 5 in `openapi/README.md`).
//!
//! The generated type is a `Vec` of structs, each with an owned `String` and an enum: a heap
//! allocation per id, a measurable part of a bulk revoke (see `BENCHMARKS.md`). This type keeps
//! the ids of a chunk in one buffer and serializes the same JSON:API document from borrowed
//! slices, in the order of the recorded requests (`type`, then `id`).

use serde::ser::{Serialize, SerializeSeq, SerializeStruct, Serializer};

/// `{"data":[{"type":"token","id":"…"},…]}`: the ids kept in one buffer (one allocation for
/// the whole chunk, not one per id) and serialized from borrowed slices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulkRevokeRequest {
    ids: String,
    ends: Vec<usize>,
}

impl BulkRevokeRequest {
    /// The document for these token ids, in order.
    pub fn for_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut body = Self::default();
        for id in ids {
            body.ids.push_str(id);
            body.ends.push(body.ids.len());
        }
        body
    }

    /// The ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.ids[start..end])
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
        let ids = ["a\"b", "c\\d", "e\nf", "ü"];
        let ours = serde_json::to_value(BulkRevokeRequest::for_ids(ids)).expect("serializes");
        let expected = serde_json::json!({ "data": ids.iter().map(|id| serde_json::json!({"type": "token", "id": id})).collect::<Vec<_>>() });
        assert_eq!(ours, expected);
    }
}
