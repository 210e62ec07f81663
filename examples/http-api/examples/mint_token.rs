//! Mints a one-hour test token for the example's `jwt` authorizer, signed with the test key
//! whose JWKS `.chalice/config.json` names, so `chalice-rs local` accepts it:
//! `cargo run -p http-api --example mint_token -- orders/read orders/write`.

use std::time::{SystemTime, UNIX_EPOCH};

use chalice_runtime::test::JwtSigner;

fn main() -> Result<(), String> {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/keys/test-signing-key.pem"
    );
    let signer = JwtSigner::load(key, "httpapi1-test")?;
    let scopes: Vec<String> = std::env::args().skip(1).collect();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|error| error.to_string())?
        .as_secs();
    let token = signer.access_token(
        "https://issuer.example.com",
        "orders-api",
        &scopes,
        now,
        3600,
    );
    println!("{token}");
    Ok(())
}
