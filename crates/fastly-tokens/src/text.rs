//! Text helpers every layer uses: the string type the models keep, and the two ways a message
//! may show text it did not write (caller input, shortened; server text, scrubbed and capped).

/// How the raw crate decodes strings (inline up to 24 bytes), kept as is in the model.
pub(crate) type Text = compact_str::CompactString;

/// A short, printable rendering of caller input for a message: at most `keep` characters,
/// control characters escaped, with the total length when cut. Values that may be secrets
/// (keys, passwords, codes) are never passed here at all.
pub(crate) fn excerpt(value: &str, keep: usize) -> String {
    let count = value.chars().count();
    let shown: String = value.chars().take(keep).collect();
    if count <= keep {
        format!("{:?}", shown)
    } else {
        format!("{:?}… ({count} characters)", shown)
    }
}

/// Longest server-provided text kept in an error (Fastly's messages are a sentence).
const MAX_SERVER_TEXT: usize = 500;

/// Server-provided text as an error may keep it: every one of `secrets` redacted, at most
/// [`MAX_SERVER_TEXT`] characters.
pub(crate) fn scrubbed(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret) {
            out = out.replace(secret, "[REDACTED]");
        }
    }
    if out.chars().count() > MAX_SERVER_TEXT {
        out = out.chars().take(MAX_SERVER_TEXT).collect::<String>() + "…";
    }
    out
}
