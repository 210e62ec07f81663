//! `#[app::authorizer(..)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitInt, LitStr};

use crate::args;
use crate::errors::Errors;

const KEYS: &str = "name, ttl_seconds, header, execution_role, identity_sources, simple_responses";
const MAX_TTL_SECONDS: u32 = 3600;
const IDENTITY_KINDS: [&str; 4] = ["header", "querystring", "stageVariables", "context"];

/// The attribute's arguments.
#[derive(Default)]
struct AuthorizerArgs {
    name: Option<LitStr>,
    ttl_seconds: Option<(u32, LitInt)>,
    header: Option<LitStr>,
    execution_role: Option<LitStr>,
    identity_sources: Option<(Vec<LitStr>, proc_macro2::Span)>,
    /// HTTP APIs' simple format: the function returns a `SimpleAuthResponse`.
    simple_responses: bool,
}

impl Parse for AuthorizerArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut parsed = AuthorizerArgs::default();
        args::key_values(input, |key, value| {
            match key.to_string().as_str() {
                "name" => parsed.name = Some(args::string(value)?),
                "ttl_seconds" => parsed.ttl_seconds = Some(args::integer(value)?),
                "header" => parsed.header = Some(args::string(value)?),
                "execution_role" => parsed.execution_role = Some(args::string(value)?),
                "identity_sources" => {
                    parsed.identity_sources = Some((args::string_list(value)?, key.span()))
                }
                "simple_responses" => parsed.simple_responses = args::boolean(value)?,
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown authorizer argument `{key}`; expected one of: {KEYS}"),
                    ));
                }
            }
            Ok(())
        })?;
        Ok(parsed)
    }
}

/// What stands in for an authorizer the macro rejected, beside the error: the function, kept
/// out of the way so it is still checked, and a static of its name, so that routes naming it
/// add no "not an authorizer" errors of their own.
pub(crate) fn rejected(item: TokenStream) -> Option<TokenStream> {
    let function: ItemFn = syn::parse2(item).ok()?;
    let vis = &function.vis;
    let fn_name = &function.sig.ident;
    let function_name = fn_name.to_string();
    Some(quote! {
        #[allow(non_upper_case_globals)]
        #vis static #fn_name: ::chalice_runtime::BuiltinAuthorizer =
            ::chalice_runtime::__private::rejected_authorizer(#function_name);

        const _: () = {
            #[allow(dead_code)]
            #function
        };
    })
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let settings: AuthorizerArgs = syn::parse2(attr)?;
    let function: ItemFn = syn::parse2(item)?;
    let mut errors = Errors::new();
    check_signature(&function, &mut errors);
    check_settings(&settings, &mut errors);
    errors.finish()?;
    Ok(emit(&settings, function))
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        errors.at(
            sig.generics.span(),
            "an authorizer function cannot be generic",
        );
    }
    let inputs: Vec<&FnArg> = sig.inputs.iter().collect();
    match inputs[..] {
        [FnArg::Typed(_)] => {}
        [FnArg::Receiver(receiver)] => errors.at(
            receiver.span(),
            "an authorizer function cannot take `self`",
        ),
        [] => errors.at(
            sig.paren_token.span.join(),
            "an authorizer function takes one argument, the `AuthRequest`: `fn auth(auth: AuthRequest) -> AuthResponse`",
        ),
        [_, extra, ..] => errors.at(
            extra.span(),
            "an authorizer function takes only the `AuthRequest`: remove this argument",
        ),
    }
}

fn check_settings(settings: &AuthorizerArgs, errors: &mut Errors) {
    if let Some(name) = &settings.name {
        check_name(name, errors);
    }
    if let Some((ttl, literal)) = &settings.ttl_seconds
        && *ttl > MAX_TTL_SECONDS
    {
        errors.at(
            literal.span(),
            format!(
                "API Gateway caches an authorizer's answer for {MAX_TTL_SECONDS} seconds at most"
            ),
        );
    }
    if let Some(header) = &settings.header {
        let value = header.value();
        if value.is_empty()
            || !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        {
            errors.at(
                header.span(),
                format!("`{value}` is not a valid HTTP header name"),
            );
        }
    }
    if let Some((sources, key_span)) = &settings.identity_sources {
        check_identity_sources(settings, sources, *key_span, errors);
    }
}

fn check_name(name: &LitStr, errors: &mut Errors) {
    let value = name.value();
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.at(
            name.span(),
            "an authorizer name becomes part of its Lambda's name: use letters, digits, `-` and `_`",
        );
    } else if value == "api_handler" {
        errors.at(
            name.span(),
            "`api_handler` is the name of the app's own Lambda",
        );
    }
}

/// The shape of each source; which `context.` variables exist is the runtime's rule, checked
/// when the app starts.
fn check_identity_sources(
    settings: &AuthorizerArgs,
    sources: &[LitStr],
    key_span: proc_macro2::Span,
    errors: &mut Errors,
) {
    if let Some(header) = &settings.header {
        errors.at(
            header.span(),
            "`header` is for TOKEN authorizers; with `identity_sources` list the header as `\"header.Name\"`",
        );
    }
    for source in sources {
        let value = source.value();
        let valid = value
            .split_once('.')
            .is_some_and(|(kind, name)| IDENTITY_KINDS.contains(&kind) && !name.is_empty());
        if !valid {
            errors.at(
                source.span(),
                format!(
                    "identity source `{value}` must be `header.<name>`, `querystring.<name>`, `stageVariables.<name>` or `context.<name>`"
                ),
            );
        }
    }
    let cached = settings
        .ttl_seconds
        .as_ref()
        .is_none_or(|(ttl, _)| *ttl > 0);
    if sources.is_empty() && cached {
        errors.at(
            key_span,
            "a REQUEST authorizer with no identity sources cannot be cached: add sources or set `ttl_seconds = 0`",
        );
    }
}

fn optional(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

fn emit(settings: &AuthorizerArgs, function: ItemFn) -> TokenStream {
    let private = quote!(::chalice_runtime::__private);
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let fn_name = &sig.ident;
    let name = settings
        .name
        .as_ref()
        .map_or_else(|| fn_name.to_string(), LitStr::value);
    let function_name = fn_name.to_string();
    let (auth_type, identity_sources) = match &settings.identity_sources {
        Some((sources, _)) => (
            quote!(#private::AuthType::Request),
            quote!(&[#(#sources),*]),
        ),
        None => (quote!(#private::AuthType::Token), quote!(&[])),
    };
    let header = settings
        .header
        .as_ref()
        .map_or_else(|| "Authorization".to_owned(), LitStr::value);
    let ttl_seconds = optional(settings.ttl_seconds.as_ref().map(|(ttl, _)| quote!(#ttl)));
    let execution_role = optional(settings.execution_role.as_ref().map(|role| quote!(#role)));
    let (docs, other_attrs): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|attr| attr.path().is_ident("doc"));

    // The argument goes through `AuthRequestArg`, spanned on its type, so a wrong type is one
    // error on that type that names `AuthRequest` as what is expected.
    let call = match sig.inputs.first() {
        Some(FnArg::Typed(typed)) => {
            let ty = &typed.ty;
            let private = quote_spanned!(ty.span()=> ::chalice_runtime::__private);
            quote_spanned! {ty.span()=>
                #fn_name(<#ty as #private::AuthRequestArg>::from_auth_request(__chalice_request))
            }
        }
        _ => quote!(#fn_name(__chalice_request)),
    };
    let call = if sig.asyncness.is_some() {
        quote!(#call.await)
    } else {
        call
    };
    let output_span = match &sig.output {
        syn::ReturnType::Default => fn_name.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    // With simple responses the result goes through its own trait, so returning a policy
    // (or a simple answer without them) is one error on the return type saying which to change.
    let into_policy = {
        let private = quote_spanned!(output_span=> ::chalice_runtime::__private);
        if settings.simple_responses {
            quote_spanned! {output_span=>
                {
                    let _ = &__chalice_method_arn;
                    #private::IntoSimpleAuthorizerResult::into_simple(__chalice_output)
                }
            }
        } else {
            quote_spanned! {output_span=>
                #private::IntoAuthorizerResult::into_policy(__chalice_output, &__chalice_method_arn)
            }
        }
    };
    let simple_responses = settings.simple_responses;

    quote! {
        #(#docs)*
        #[allow(non_upper_case_globals)]
        #vis static #fn_name: ::chalice_runtime::BuiltinAuthorizer =
            #private::builtin_authorizer(#private::BuiltinAuthorizerSettings {
                name: #name,
                function: #function_name,
                auth_type: #auth_type,
                header: #header,
                ttl_seconds: #ttl_seconds,
                execution_role: #execution_role,
                identity_sources: #identity_sources,
                simple_responses: #simple_responses,
                handler: {
                    fn __chalice_authorizer(__chalice_request: ::chalice_runtime::AuthRequest) -> #private::AuthFuture {
                        #(#other_attrs)*
                        #sig #block

                        let __chalice_method_arn = __chalice_request.method_arn.clone();
                        #private::auth_future(async move {
                            let __chalice_output = #call;
                            #into_policy
                        })
                    }
                    __chalice_authorizer
                },
            });

        #private::inventory::submit! {
            #private::AuthorizerDef {
                authorizer: &#fn_name,
                location: #private::Location {
                    module: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                },
            }
        }
    }
}
