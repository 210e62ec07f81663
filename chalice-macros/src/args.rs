//! Parsing of `key = value` attribute arguments shared by both macros.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitInt, LitStr, Token, bracketed};

/// `["a", "b"]`, as the literals (for their spans).
pub(crate) fn string_list(input: ParseStream<'_>) -> syn::Result<Vec<LitStr>> {
    let content;
    bracketed!(content in input);
    let items: Punctuated<LitStr, Token![,]> = Punctuated::parse_terminated(&content)?;
    Ok(items.into_iter().collect())
}

/// A string literal.
pub(crate) fn string(input: ParseStream<'_>) -> syn::Result<LitStr> {
    input.parse()
}

/// `true` or `false`.
pub(crate) fn boolean(input: ParseStream<'_>) -> syn::Result<bool> {
    Ok(input.parse::<LitBool>()?.value)
}

/// A non-negative integer that fits in `u32`.
pub(crate) fn integer(input: ParseStream<'_>) -> syn::Result<(u32, LitInt)> {
    let literal: LitInt = input.parse()?;
    let value = literal.base10_parse::<u32>()?;
    Ok((value, literal))
}

/// Parses `key = value, ...`, calling `assign` per key after `=`; keys may not repeat.
pub(crate) fn key_values(
    input: ParseStream<'_>,
    mut assign: impl FnMut(&Ident, ParseStream<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    let mut seen: Vec<Ident> = Vec::new();
    while !input.is_empty() {
        let key: Ident = input.parse()?;
        if seen.contains(&key) {
            return Err(syn::Error::new(
                key.span(),
                format!("`{key}` is given more than once"),
            ));
        }
        input.parse::<Token![=]>()?;
        assign(&key, input)?;
        seen.push(key);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}
