//! Request URLs built from a base URL parsed once (fix-up 9 in `openapi/README.md`).
//!
//! progenitor formats each request URL as a string (`format!("{}/tokens/{}", baseurl, id)`) and
//! hands it to reqwest, which parses it again on every call: scheme, host (with IDNA
//! processing), port and path, about 6,400 instructions, 7% of a `get_token_current` call
//! (measured with `cargo xtask bench --instructions`). The generated client now keeps its base
//! URL parsed ([`base`]) and [`join`] copies it and parses only the path the operation adds.
//!
//! The result is the URL `Url::parse` gives for the same string, or [`join`] calls
//! `Url::parse` itself: when the base did not parse, has a query or fragment, is not
//! written the way `Url` writes it back (`HTTP://Example.COM`), or the path holds `?`, `#`, a
//! space or a control character.
//! A property test checks the two agree.

use reqwest::Url;

/// The base URL, parsed once when the client is built; `None` when [`join`] must parse every
/// URL whole (see the module docs).
pub fn base(baseurl: &str) -> Option<Url> {
    let url = Url::parse(baseurl).ok()?;
    (url.query().is_none() && url.fragment().is_none() && url.has_host()).then_some(url)
}

/// The URL for `full` (the base URL followed by the operation's path, as progenitor formats
/// it), built from the parsed `base` when that gives the same result as parsing `full`.
///
/// # Errors
///
/// `full` does not parse as a URL (only possible when the base URL itself is not one).
pub fn join(base: Option<&Url>, full: String) -> Result<Url, String> {
    if let Some(base) = base {
        let text = base.as_str();
        // Everything before the path: `scheme://host:port` as `Url` writes it.
        let origin = &text[..text.len() - base.path().len()];
        if let Some(path) = full.strip_prefix(origin)
            && path.starts_with('/')
            // `Url::parse` trims leading and trailing spaces and controls and drops tabs and
            // newlines anywhere; leave such strings to it.
            && !path.bytes().any(|b| b <= b' ' || b == b'?' || b == b'#')
        {
            let mut url = base.clone();
            url.set_path(path);
            return Ok(url);
        }
    }
    Url::parse(&full).map_err(|e| format!("the request URL is not valid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(baseurl: &str, path: &str) -> (Result<Url, String>, Result<Url, String>) {
        let full = format!("{baseurl}{path}");
        let ours = join(base(baseurl).as_ref(), full.clone());
        let theirs = Url::parse(&full).map_err(|e| format!("the request URL is not valid: {e}"));
        (ours, theirs)
    }

    #[test]
    fn the_same_url_as_parsing_the_whole_string() {
        let bases = [
            "https://api.fastly.com",
            "https://api.fastly.com/",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:80",
            "https://example.com/prefix",
            "https://example.com/prefix/",
            "HTTPS://API.Fastly.COM",
            "http://[::1]:9000/a/b",
            "https://example.com/x?y=1",
            "https://example.com/#frag",
            "https://xn--caf-dma.example",
            "https://café.example",
            "not a url",
            "",
        ];
        let paths = [
            "/tokens/self",
            "/tokens/2j1hEyxXOEqYaSipeZHaW4",
            "/customer/51MumwLiSJyFTWhtbByYgR/tokens",
            "/tokens/a%2Fb",
            "/tokens/../sudo",
            "/tokens/./x",
            "/tokens/a b",
            "/tokens/é",
            "/tokens/a?b",
            "/tokens/a#b",
            "/tokens\\x",
            "",
            "x",
        ];
        for b in bases {
            for p in paths {
                let (ours, theirs) = parsed(b, p);
                assert_eq!(
                    ours.as_ref().map(Url::as_str),
                    theirs.as_ref().map(Url::as_str),
                    "{b:?} + {p:?}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn agrees_with_url_parse(
            base in prop::sample::select(vec![
                "https://api.fastly.com",
                "http://127.0.0.1:8080",
                "https://example.com/prefix",
                "https://example.com/prefix/",
            ]),
            path in "(/[a-zA-Z0-9%./\\\\?#é ~\t\n\r\x00\x1f\x7f-]{0,12}){0,4}",
        ) {
            let (ours, theirs) = parsed(base, &path);
            prop_assert_eq!(
                ours.as_ref().map(Url::as_str),
                theirs.as_ref().map(Url::as_str)
            );
        }
    }
}
