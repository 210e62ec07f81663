//! Mints an RS256 access token for trying a JWT route by hand, valid for an hour:
//!
//! ```sh
//! cargo run -p chalice-runtime --example mint_jwt -- \
//!     examples/http-api/tests/jwt-test-key.pem httpapi1-test \
//!     https://issuer.example.com orders-api orders/read
//! curl -H "Authorization: Bearer $TOKEN" localhost:8000/orders/1
//! ```
//!
//! Arguments: the private key (PEM), its key id in the JWKS the stage config names, the
//! issuer, the audience, then the scopes (none or more).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use chalice_runtime::test::JwtSigner;

const LIFETIME_SECONDS: u64 = 3600;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, kid, issuer, audience, scopes @ ..] = &args[..] else {
        eprintln!("usage: mint_jwt KEY.pem KID ISSUER AUDIENCE [SCOPE...]");
        return ExitCode::from(2);
    };
    let signer = match JwtSigner::load(key, kid.as_str()) {
        Ok(signer) => signer,
        Err(message) => {
            eprintln!("mint_jwt: {message}");
            return ExitCode::from(2);
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    println!(
        "{}",
        signer.access_token(issuer, audience, &scopes, now, LIFETIME_SECONDS)
    );
    ExitCode::SUCCESS
}
