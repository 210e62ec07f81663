use std::str::FromStr;

use chalice_runtime::app;

struct Colour;

struct NotAColour;

impl FromStr for Colour {
    type Err = NotAColour;

    fn from_str(_: &str) -> Result<Self, NotAColour> {
        Err(NotAColour)
    }
}

#[app::route("/colours/{colour}")]
fn colour(colour: Colour) -> &'static str {
    let Colour = colour;
    "a colour"
}

fn main() {}
