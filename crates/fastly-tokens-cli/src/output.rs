//! Human and JSON output. JSON uses the token's Fastly field names (`Token`'s `Serialize`), so
//! scripts see what the API documents; see the README for each command's shape.

use chrono::{DateTime, Utc};
use fastly_tokens::Token;
use serde_json::{Value, json};

pub fn when(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(
        || none.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn day(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

pub fn services(t: &Token) -> String {
    if t.is_unrestricted() {
        "all".to_string()
    } else {
        t.services()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn token_json(t: &Token) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn print_token(t: &Token) {
    let rows = [
        ("name", t.name().to_string()),
        ("id", t.id().to_string()),
        ("user", t.user_id().to_string()),
        (
            "customer",
            t.customer_id().map_or("-".to_string(), ToString::to_string),
        ),
        ("scopes", t.scopes().to_string()),
        ("services", services(t)),
        ("created", when(Some(t.created_at()), "-")),
        (
            "last used",
            match (t.last_used_at(), t.ip()) {
                (Some(at), Some(ip)) => format!("{} from {ip}", when(Some(at), "")),
                (at, _) => when(at, "never"),
            },
        ),
        ("user agent", t.user_agent().unwrap_or("-").to_string()),
        ("expires", when(t.expires_at(), "never")),
    ];
    for (k, v) in rows {
        println!("{k:<11} {v}");
    }
}

pub fn print_table(tokens: &[Token]) {
    let rows: Vec<[String; 6]> = tokens
        .iter()
        .map(|t| {
            [
                t.name().to_string(),
                t.id().to_string(),
                t.scopes().to_string(),
                if t.is_unrestricted() {
                    "all".to_string()
                } else {
                    t.services().len().to_string()
                },
                day(t.last_used_at(), "never"),
                day(t.expires_at(), "never"),
            ]
        })
        .collect();
    let header = ["NAME", "ID", "SCOPES", "SERVICES", "LAST USED", "EXPIRES"].map(str::to_string);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

pub fn created_json(t: &Token, secret: &str) -> Value {
    json!({ "token": token_json(t), "access_token": secret })
}
