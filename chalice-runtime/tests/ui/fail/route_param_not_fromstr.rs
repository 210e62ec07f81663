use chalice_runtime::app;

#[app::route("/blobs/{data}")]
fn blob(data: Vec<u8>) -> String {
    format!("{} bytes", data.len())
}

fn main() {}
