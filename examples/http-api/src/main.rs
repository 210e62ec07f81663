//! Runs the HTTP API example: `chalice-rs local`, the manifest, or a Lambda function.

#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() {
    http_api::app().run()
}
