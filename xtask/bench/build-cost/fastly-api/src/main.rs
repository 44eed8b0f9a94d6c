#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut cfg = fastly_api::apis::configuration::Configuration::default();
    match fastly_api::apis::tokens_api::get_token_current(&mut cfg).await {
        Ok(t) => println!("{:?} {:?}", t.name, t.expires_at),
        Err(e) => eprintln!("{e}"),
    }
}
