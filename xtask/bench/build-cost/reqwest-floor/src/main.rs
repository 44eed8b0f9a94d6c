#[derive(serde::Deserialize, Debug)]
struct Token { name: Option<String>, expires_at: Option<String> }
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let key = std::env::var("FASTLY_API_TOKEN").unwrap_or_default();
    let r = reqwest::Client::new().get("https://api.fastly.com/tokens/self").header("fastly-key", key).send().await;
    match r { Ok(r) => println!("{:?}", r.json::<Token>().await.map(|t| (t.name, t.expires_at))), Err(e) => eprintln!("{e}") }
}
