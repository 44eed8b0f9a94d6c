//! `audit --junit`: the audit as JUnit XML, one test case per token and a failure per
//! finding, so CI systems show findings as failed checks.

use chrono::{DateTime, Utc};

use crate::audited::Audited;
use crate::output;
use crate::policy::Finding;

/// JUnit XML: one test case per audited token, a failure per finding, so CI systems show
/// findings as failed checks. `quick-junit` escapes markup; characters XML 1.0 forbids
/// (controls, U+FFFE, U+FFFF) are written as `\u{..}` by [`xml_text`].
pub(crate) fn junit(
    audited: &[Audited<'_>],
    report: &[(usize, Vec<Finding>)],
    now: DateTime<Utc>,
) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("fastly-tokens audit");
    suite.set_timestamp(now.fixed_offset());
    for (i, t) in audited.iter().enumerate() {
        let findings = report.iter().find(|(j, _)| *j == i).map(|(_, f)| f);
        let status = match findings {
            None => TestCaseStatus::success(),
            Some(f) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(f.iter().map(|f| f.rule).collect::<Vec<_>>().join(","));
                s.set_message(xml_text(
                    &f.iter()
                        .map(|f| format!("{}: {}", f.rule, f.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                ));
                s
            }
        };
        let name = format!("{} ({})", output::cell(t.name, 120), t.id);
        let mut case = TestCase::new(xml_text(&name), status);
        case.set_classname(xml_text(&format!("fastly-tokens.{}", t.kind)));
        suite.add_test_case(case);
    }
    let mut report = Report::new("fastly-tokens");
    report.add_test_suite(suite);
    report.to_string().map_err(|e| e.to_string())
}

/// Text XML 1.0 can hold: every character outside its `Char` production (C0 controls but
/// tab, newline and carriage return; U+FFFE; U+FFFF) written as `\u{..}`.
fn xml_text(s: &str) -> String {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if allowed(c) {
                vec![c]
            } else {
                c.escape_unicode().collect()
            };
            escaped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    /// Every character of the document is one XML 1.0 allows.
    fn all_xml_chars(xml: &str) -> bool {
        xml.chars().all(|c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
    }

    #[test]
    fn junit_survives_hostile_names() {
        let now = Utc::now();
        let t = Audited {
            id: "id<1>".to_string(),
            name: "a\u{1b}[31mred\u{0}\u{7}\"&<x>\u{FFFE}\u{FFFF}",
            kind: "user",
            created_at: now,
            expires_at: None,
            last_used_at: None,
            ip: Some("not-an-ip"),
            scopes: vec!["global"],
            global: true,
            read_only: false,
            unrestricted: true,
        };
        let policy = Policy::parse("[rules]\nallowed_ips = [\"10.0.0.0/8\"]").expect("ok");
        let findings = policy.check(&t, now);
        assert_eq!(
            findings.iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["over_broad", "ip_not_allowed"]
        );
        let xml = junit(&[t], &[(0, findings)], now).expect("ok");
        assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}') && !xml.contains('\u{7}'));
        assert!(
            !xml.contains('\u{FFFE}') && !xml.contains('\u{FFFF}'),
            "{xml}"
        );
        assert!(xml.contains("\\u{fffe}"), "{xml}");
        let parsed = all_xml_chars(&xml);
        assert!(parsed, "well-formed: {xml}");
        assert!(
            xml.contains("&lt;x&gt;") && xml.contains("id&lt;1&gt;"),
            "{xml}"
        );
        assert!(xml.contains("<failure"), "{xml}");
    }
}
