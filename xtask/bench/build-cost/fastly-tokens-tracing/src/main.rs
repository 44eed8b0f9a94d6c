#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = fastly_tokens::Client::from_env().expect("token");
    match client.current_token().await {
        Ok(t) => println!("{} {:?}", t.name(), t.expires_at()),
        Err(e) => eprintln!("{e}"),
    }
}
