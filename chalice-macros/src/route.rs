//! `#[app::route(..)]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, LitStr, Pat, Path, Token, Type};

use crate::args;
use crate::errors::Errors;
use crate::path;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const KEYS: &str = "methods, authorizer, scopes, cors, content_types, name, api_key_required";

/// The attribute's arguments.
struct RouteArgs {
    path: LitStr,
    methods: Vec<LitStr>,
    authorizer: Option<Path>,
    scopes: Option<Vec<LitStr>>,
    cors: bool,
    content_types: Option<Vec<LitStr>>,
    name: Option<LitStr>,
    api_key_required: bool,
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected the route path, e.g. `#[app::route(\"/\")]`"));
        }
        let path: LitStr = input.parse()?;
        let mut route = RouteArgs {
            path,
            methods: Vec::new(),
            authorizer: None,
            scopes: None,
            cors: false,
            content_types: None,
            name: None,
            api_key_required: false,
        };
        if input.is_empty() {
            return Ok(route);
        }
        input.parse::<Token![,]>()?;
        args::key_values(input, |key, value| {
            match key.to_string().as_str() {
                "methods" => route.methods = args::string_list(value)?,
                "authorizer" => route.authorizer = Some(authorizer_path(value)?),
                "scopes" => route.scopes = Some(args::string_list(value)?),
                "cors" => route.cors = args::boolean(value)?,
                "content_types" => route.content_types = Some(args::string_list(value)?),
                "name" => route.name = Some(args::string(value)?),
                "api_key_required" => route.api_key_required = args::boolean(value)?,
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown route argument `{key}`; expected one of: {KEYS}"),
                    ));
                }
            }
            Ok(())
        })?;
        Ok(route)
    }
}

/// `authorizer = X`: the authorizer itself, named as Rust names it. A string is the likely
/// slip of a Chalice user (`authorizer="token_auth"`), so it gets its own answer.
fn authorizer_path(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(LitStr) {
        let name: LitStr = input.parse()?;
        return Err(syn::Error::new(
            name.span(),
            format!(
                "name the authorizer itself, not a string: `authorizer = {}` (a `#[app::authorizer]` function or a static authorizer)",
                name.value()
            ),
        ));
    }
    input.parse()
}

/// How the view receives one of its arguments.
enum ViewArg<'a> {
    /// A `{param}` of the path, parsed with `FromStr`.
    Param { name: &'a Ident, ty: &'a Type },
    /// `&Request`.
    Request { ty: &'a Type },
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let route: RouteArgs = syn::parse2(attr)?;
    let function: ItemFn = syn::parse2(item)?;
    let mut errors = Errors::new();
    let params = errors.check(path::parse(&route.path));
    let methods = methods(&route.methods, &mut errors);
    let view_args = view_args(&function, &route.path, params.as_deref(), &mut errors);
    for param in params.iter().flatten() {
        let bound = view_args
            .iter()
            .any(|arg| matches!(arg, ViewArg::Param { name, .. } if *name == param));
        if !bound {
            errors.at(
                route.path.span(),
                format!(
                    "`{{{param}}}` in the route path has no matching argument: add `{param}: String` (or any `FromStr` type) to `{}`",
                    function.sig.ident
                ),
            );
        }
    }
    if let (Some(scopes), None) = (&route.scopes, &route.authorizer) {
        let span = scopes
            .first()
            .map_or_else(|| route.path.span(), LitStr::span);
        errors.at(span, "`scopes` needs an `authorizer`");
    }
    for content_type in route.content_types.iter().flatten() {
        if !content_type.value().contains('/') {
            errors.at(
                content_type.span(),
                "a content type looks like `application/json`",
            );
        }
    }
    errors.finish()?;
    Ok(emit(&route, &function, &methods, &view_args))
}

/// The methods, upper case; `GET` when none are listed.
fn methods(literals: &[LitStr], errors: &mut Errors) -> Vec<String> {
    if literals.is_empty() {
        return vec!["GET".into()];
    }
    let mut methods: Vec<String> = Vec::new();
    for literal in literals {
        let method = literal.value().to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            errors.at(
                literal.span(),
                format!(
                    "unknown HTTP method `{}`; expected one of: {}",
                    literal.value(),
                    METHODS.join(", ")
                ),
            );
        } else if methods.contains(&method) {
            errors.at(literal.span(), format!("method `{method}` is listed twice"));
        } else {
            methods.push(method);
        }
    }
    methods
}

/// How the view takes each argument. With `params` unknown (the path is invalid), arguments
/// are not held to them.
fn view_args<'a>(
    function: &'a ItemFn,
    path: &LitStr,
    params: Option<&[String]>,
    errors: &mut Errors,
) -> Vec<ViewArg<'a>> {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        errors.at(sig.generics.span(), "a route function cannot be generic");
    }
    let mut args = Vec::new();
    let mut request_seen = false;
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else {
            errors.at(input.span(), "a route function cannot take `self`");
            continue;
        };
        if let Type::Reference(_) = *typed.ty {
            if request_seen {
                errors.at(
                    typed.span(),
                    "a route function takes `&Request` at most once",
                );
            }
            request_seen = true;
            args.push(ViewArg::Request { ty: &typed.ty });
            continue;
        }
        let Pat::Ident(pat) = &*typed.pat else {
            errors.at(
                typed.pat.span(),
                "name this argument after a `{param}` of the route path",
            );
            continue;
        };
        let Some(params) = params else { continue };
        if !params.iter().any(|param| pat.ident == param) {
            if names_request(&typed.ty) {
                errors.at(
                    typed.ty.span(),
                    format!("take the request by reference: `{}: &Request`", pat.ident),
                );
            } else {
                errors.at(
                    pat.ident.span(),
                    format!(
                        "argument `{name}` matches no `{{param}}` of `{path}`: add `{{{name}}}` to the path or remove the argument (a route function takes its path parameters by name, and optionally `&Request`)",
                        name = pat.ident,
                        path = path.value(),
                    ),
                );
            }
            continue;
        }
        args.push(ViewArg::Param {
            name: &pat.ident,
            ty: &typed.ty,
        });
    }
    args
}

/// Whether `ty` reads `Request` (by value), the likely meaning of a non-`{param}` argument.
fn names_request(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|segment| segment.ident == "Request"))
}

/// `::chalice_runtime::__private`, spanned on the user's token an error would be about: every
/// token of a checked expression carries that span, so rustc's caret lands there and nowhere in
/// the attribute.
fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::chalice_runtime::__private)
}

fn string_slice(literals: &[LitStr]) -> TokenStream {
    quote!(&[#(#literals),*])
}

/// The generated view function, which binds the view's arguments from the request, calls it
/// and converts its output, and the `Handler` that names it.
fn view_handler(function: &ItemFn, view_args: &[ViewArg<'_>]) -> (TokenStream, TokenStream) {
    let private = quote!(::chalice_runtime::__private);
    let fn_name = &function.sig.ident;
    let mut bindings = Vec::new();
    let mut call_args = Vec::new();
    for (index, arg) in view_args.iter().enumerate() {
        match arg {
            ViewArg::Param { name, ty } => {
                let local = format_ident!("__chalice_arg{index}");
                let param = name.to_string();
                let private = private_at(ty.span());
                bindings.push(quote_spanned! {ty.span()=>
                    let #local: #ty = match <#ty as #private::PathParam>::from_path(&__chalice_request, #param) {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(error) => return #private::IntoResponse::into_response(error),
                    };
                });
                call_args.push(quote!(#local));
            }
            ViewArg::Request { ty } => {
                let private = private_at(ty.span());
                call_args.push(quote_spanned! {ty.span()=>
                    <#ty as #private::RequestArg<'_>>::from_request(&__chalice_request)
                })
            }
        }
    }
    let call = if function.sig.asyncness.is_some() {
        quote!(#fn_name(#(#call_args),*).await)
    } else {
        quote!(#fn_name(#(#call_args),*))
    };
    let output_span = match &function.sig.output {
        syn::ReturnType::Default => function.sig.ident.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    let into_response = {
        let private = private_at(output_span);
        quote_spanned! {output_span=> #private::IntoResponse::into_response(__chalice_output)}
    };
    // A plain `fn` view is called in place; an `async fn` view's future is boxed.
    let body = quote! {
        #(#bindings)*
        let __chalice_output = #call;
        #into_response
    };
    if function.sig.asyncness.is_some() {
        (
            quote! {
                fn __chalice_view(__chalice_request: ::chalice_runtime::Request) -> #private::ViewFuture {
                    #private::view_future(async move { #body })
                }
            },
            quote!(#private::Handler::Async(__chalice_view)),
        )
    } else {
        (
            quote! {
                fn __chalice_view(__chalice_request: ::chalice_runtime::Request) -> ::chalice_runtime::Response {
                    #body
                }
            },
            quote!(#private::Handler::Sync(__chalice_view)),
        )
    }
}

fn emit(
    route: &RouteArgs,
    function: &ItemFn,
    methods: &[String],
    view_args: &[ViewArg<'_>],
) -> TokenStream {
    let private = quote!(::chalice_runtime::__private);
    let fn_name = &function.sig.ident;
    let path = &route.path;
    let view_name = route
        .name
        .as_ref()
        .map_or_else(|| fn_name.to_string(), LitStr::value);
    let (view_fn, handler) = view_handler(function, view_args);

    // One check per route: with `scopes`, the authorizer must support them (which implies it is
    // an authorizer), so a non-authorizer with scopes is one error, not two.
    let authorizer = match &route.authorizer {
        Some(auth) => {
            let private = private_at(auth.span());
            let object = if route.scopes.is_some() {
                quote_spanned! {auth.span()=>
                    (&#auth as &'static dyn #private::SupportsScopes) as &'static dyn #private::Authorizer
                }
            } else {
                quote_spanned! {auth.span()=> &#auth as &'static dyn #private::Authorizer}
            };
            quote!(::core::option::Option::Some(#object))
        }
        None => quote!(::core::option::Option::None),
    };
    let scopes = match &route.scopes {
        Some(scopes) => {
            let list = string_slice(scopes);
            quote!(::core::option::Option::Some(#list))
        }
        None => quote!(::core::option::Option::None),
    };
    let content_types = match &route.content_types {
        Some(types) => string_slice(types),
        None => quote!(&["application/json"]),
    };
    let cors = route.cors;
    let api_key_required = route.api_key_required;
    // A duplicate path+method in this module is rustc's E0428 on both path literals, naming
    // the route (`route_GET_users` for GET /users).
    let duplicate_guards = methods.iter().map(|method| {
        let key = Ident::new(&path::route_key(method, &path.value()), path.span());
        quote_spanned! {path.span()=>
            #[doc(hidden)]
            #[allow(dead_code, non_upper_case_globals)]
            const #key: () = ();
        }
    });

    quote! {
        #function

        #(#duplicate_guards)*

        const _: () = {
            #view_fn

            #private::inventory::submit! {
                #private::RouteDef {
                    path: #path,
                    methods: &[#(#methods),*],
                    view_name: #view_name,
                    authorizer: #authorizer,
                    scopes: #scopes,
                    cors: #cors,
                    content_types: #content_types,
                    api_key_required: #api_key_required,
                    handler: #handler,
                    location: #private::Location {
                        module: ::core::module_path!(),
                        file: ::core::file!(),
                        line: ::core::line!(),
                    },
                }
            }
        };
    }
}
