//! Rust types for the inputs and outputs of a connector's endpoints.
//!
//! Every type is emitted once into the connector's module. Its OpenAPI schema name is the
//! connector's type name followed by the Rust name (`GmailListMessagesRequest`), which keeps
//! schema names unique across every connector a server mounts.

use std::collections::BTreeSet;

use connector_defs::naming;
use connector_defs::{Endpoint, Param, ParamType, Schema};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

/// Collects the type definitions of one connector module.
pub(crate) struct TypeSpace {
    /// `Gmail`: prefix of every OpenAPI schema name.
    schema_prefix: String,
    openapi: bool,
    names: BTreeSet<String>,
    items: Vec<TokenStream>,
}

/// One field of a generated struct.
struct Field {
    wire_name: String,
    ty: TokenStream,
    description: Option<String>,
    presence: Presence,
    /// The parameter's bounds as poem-openapi validators (`minimum(value = 1.0), …`), so the
    /// OpenAPI document declares them; empty when it has none.
    validators: TokenStream,
}

enum Presence {
    /// Always there: `T`.
    Required,
    /// `Option<T>`, absent when `None`.
    Optional,
    /// `T`, filled from this expression when absent.
    Defaulted(TokenStream),
}

impl TypeSpace {
    pub(crate) fn new(connector: &str, openapi: bool) -> TypeSpace {
        TypeSpace {
            schema_prefix: naming::type_name(connector),
            openapi,
            names: BTreeSet::new(),
            items: Vec::new(),
        }
    }

    pub(crate) fn into_items(self) -> Vec<TokenStream> {
        self.items
    }

    /// `ListMessagesRequest`: one field per parameter, whatever its location, under its YAML
    /// name on the wire. It implements `Default` when no field is required.
    pub(crate) fn request(&mut self, endpoint_type: &str, endpoint: &Endpoint) -> Ident {
        let name = self.claim(&format!("{endpoint_type}Request"));
        let fields = endpoint
            .params
            .iter()
            .map(|(wire_name, param)| self.param_field(endpoint_type, wire_name, param))
            .collect();
        let doc = format!(
            "Inputs of [`Client::{}`].",
            naming::field_name(endpoint_type)
        );
        self.define_struct(&name, Some(doc), fields);
        format_ident!("{}", name)
    }

    /// `ListMessagesResponse`: a struct for an object schema, an alias otherwise.
    pub(crate) fn response(&mut self, endpoint_type: &str, endpoint: &Endpoint) -> Ident {
        let name = format!("{endpoint_type}Response");
        match &endpoint.response {
            Some(schema) if is_struct(schema) => {
                let ty = self.schema_type(&name, schema);
                syn::parse2(ty).expect("a struct type is an identifier")
            }
            response => {
                let name = self.claim(&name);
                let ident = format_ident!("{}", name);
                let ty = match response {
                    Some(schema) => self.schema_type(&format!("{name}Value"), schema),
                    None => json_value(),
                };
                self.items.push(quote! {
                    /// Output of the endpoint.
                    pub type #ident = #ty;
                });
                ident
            }
        }
    }

    /// A parameter's field; its own types are named after the endpoint (`GetMessageFormat`).
    fn param_field(&mut self, endpoint_type: &str, wire_name: &str, param: &Param) -> Field {
        let hint = format!(
            "{endpoint_type}{}",
            naming::type_name(&naming::field_name(wire_name))
        );
        let ty = self.schema_type(&hint, &param.schema());
        let presence = match &param.default {
            Some(default) => Presence::Defaulted(self.default_value(&ty, param, default)),
            None if param.is_required() => Presence::Required,
            None => Presence::Optional,
        };
        Field {
            wire_name: wire_name.to_string(),
            ty,
            description: param.description.clone(),
            presence,
            validators: validators(param),
        }
    }

    /// The Rust type of a schema, defining structs and enums under `hint` as needed.
    fn schema_type(&mut self, hint: &str, schema: &Schema) -> TokenStream {
        let Some(ty) = schema.ty else {
            return json_value();
        };
        match ty {
            ParamType::String => match &schema.enum_values {
                Some(values) => self.define_enum(hint, schema.description.clone(), values),
                None => quote!(::std::string::String),
            },
            ParamType::Integer => quote!(i64),
            ParamType::Number => quote!(f64),
            ParamType::Boolean => quote!(bool),
            ParamType::Array => {
                let item = match &schema.items {
                    Some(items) => self.schema_type(&format!("{hint}Item"), items),
                    None => json_value(),
                };
                quote!(::std::vec::Vec<#item>)
            }
            ParamType::Object if schema.properties.is_empty() => json_value(),
            ParamType::Object => {
                let name = self.claim(hint);
                let fields = schema
                    .properties
                    .iter()
                    .map(|(wire_name, property)| {
                        let child = format!(
                            "{name}{}",
                            naming::type_name(&naming::field_name(wire_name))
                        );
                        let ty = self.schema_type(&child, property);
                        let required = schema.required.contains(wire_name) && !property.nullable;
                        Field {
                            wire_name: wire_name.clone(),
                            ty,
                            description: property.description.clone(),
                            presence: if required {
                                Presence::Required
                            } else {
                                Presence::Optional
                            },
                            validators: TokenStream::new(),
                        }
                    })
                    .collect();
                self.define_struct(&name, schema.description.clone(), fields);
                let ident = format_ident!("{}", name);
                quote!(#ident)
            }
        }
    }

    fn define_struct(&mut self, name: &str, doc: Option<String>, fields: Vec<Field>) {
        let ident = format_ident!("{}", name);
        let serde_crate = serde_crate();
        let schema_name = format!("{}{name}", self.schema_prefix);
        let openapi_derive = self.openapi.then(|| quote!(, poem_openapi::Object));
        let openapi_rename = self.openapi.then(|| quote!(#[oai(rename = #schema_name)]));
        let doc = doc.as_deref().map(super::doc);

        let mut field_tokens = Vec::new();
        let mut default_fns = Vec::new();
        let mut default_values = Vec::new();
        let mut implements_default = true;
        for field in &fields {
            let field_ident = field_ident(&field.wire_name);
            let wire_name = &field.wire_name;
            let ty = &field.ty;
            let doc = field.description.as_deref().map(super::doc);
            let (ty, serde_extra, oai_extra, default_value) = match &field.presence {
                Presence::Required => {
                    implements_default = false;
                    (quote!(#ty), quote!(), quote!(), quote!())
                }
                Presence::Optional => (
                    quote!(::std::option::Option<#ty>),
                    quote!(, default, skip_serializing_if = "::std::option::Option::is_none"),
                    quote!(, skip_serializing_if_is_none),
                    quote!(::std::option::Option::None),
                ),
                Presence::Defaulted(value) => {
                    let function = format_ident!(
                        "__default_{}",
                        field_ident.to_string().trim_start_matches("r#")
                    );
                    let path = format!("{name}::{function}");
                    default_fns.push(quote! {
                        #[doc(hidden)]
                        pub fn #function() -> #ty {
                            #value
                        }
                    });
                    (
                        quote!(#ty),
                        quote!(, default = #path),
                        quote!(, default = #path),
                        quote!(#ident::#function()),
                    )
                }
            };
            let validators = &field.validators;
            let validators = (!validators.is_empty()).then(|| quote!(, validator(#validators)));
            let oai = self
                .openapi
                .then(|| quote!(#[oai(rename = #wire_name #oai_extra #validators)]));
            field_tokens.push(quote! {
                #doc
                #[serde(rename = #wire_name #serde_extra)]
                #oai
                pub #field_ident: #ty,
            });
            default_values.push(quote!(#field_ident: #default_value,));
        }

        let default_impl = implements_default.then(|| {
            quote! {
                impl ::std::default::Default for #ident {
                    fn default() -> Self {
                        #ident { #(#default_values)* }
                    }
                }
            }
        });
        let default_fns =
            (!default_fns.is_empty()).then(|| quote!(impl #ident { #(#default_fns)* }));
        self.items.push(quote! {
            #doc
            #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::cmp::PartialEq,
                #serde_crate::Serialize, #serde_crate::Deserialize #openapi_derive)]
            #[serde(crate = "::connector_runtime::__private::serde")]
            #openapi_rename
            pub struct #ident {
                #(#field_tokens)*
            }
            #default_impl
            #default_fns
        });
    }

    fn define_enum(&mut self, hint: &str, doc: Option<String>, values: &[Value]) -> TokenStream {
        let name = self.claim(hint);
        let ident = format_ident!("{}", name);
        let serde_crate = serde_crate();
        let schema_name = format!("{}{name}", self.schema_prefix);
        let openapi_derive = self.openapi.then(|| quote!(, poem_openapi::Enum));
        let openapi_rename = self.openapi.then(|| quote!(#[oai(rename = #schema_name)]));
        let doc = doc.as_deref().map(super::doc);
        let mut used = BTreeSet::new();
        let variants = values.iter().filter_map(Value::as_str).map(|value| {
            let mut variant = naming::type_name(&naming::field_name(value));
            while !used.insert(variant.clone()) {
                variant.push('_');
            }
            let variant = format_ident!("{}", variant);
            let oai = self.openapi.then(|| quote!(#[oai(rename = #value)]));
            quote! {
                #[serde(rename = #value)]
                #oai
                #variant,
            }
        });
        let variants: Vec<_> = variants.collect();
        self.items.push(quote! {
            #doc
            #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::marker::Copy, ::std::cmp::PartialEq,
                ::std::cmp::Eq, ::std::hash::Hash, #serde_crate::Serialize, #serde_crate::Deserialize #openapi_derive)]
            #[serde(crate = "::connector_runtime::__private::serde")]
            #openapi_rename
            pub enum #ident {
                #(#variants)*
            }
        });
        quote!(#ident)
    }

    /// The expression of a parameter's default, of type `ty`.
    fn default_value(&self, ty: &TokenStream, param: &Param, default: &Value) -> TokenStream {
        match (param.ty, default) {
            (ParamType::String, Value::String(text)) if param.enum_values.is_some() => {
                let variant = format_ident!("{}", naming::type_name(&naming::field_name(text)));
                quote!(#ty::#variant)
            }
            (ParamType::String, Value::String(text)) => quote!(::std::string::String::from(#text)),
            (ParamType::Integer, Value::Number(number)) => {
                let number = number.as_i64().unwrap_or_default();
                quote!(#number)
            }
            (ParamType::Number, Value::Number(number)) => {
                let number = number.as_f64().unwrap_or_default();
                quote!(#number)
            }
            (ParamType::Boolean, Value::Bool(flag)) => quote!(#flag),
            // Arrays and objects: decoded from their JSON text, which validation has type-checked.
            (_, json) => {
                let json = json.to_string();
                quote! {
                    ::connector_runtime::__private::serde_json::from_str(#json).unwrap_or_default()
                }
            }
        }
    }

    /// Reserves a name for a type defined elsewhere in the module.
    pub(crate) fn claim_ident(&mut self, wanted: &str) -> Ident {
        format_ident!("{}", self.claim(wanted))
    }

    /// Reserves a type name, numbering it when the name is taken.
    fn claim(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_string();
        let mut counter = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{wanted}{counter}");
            counter += 1;
        }
        name
    }
}

/// poem-openapi validators for a parameter's `minimum`, `maximum`, `min_length`, `max_length`
/// and `pattern`. (An `enum` of strings is a Rust enum already; poem-openapi has no validator for
/// other enums, which the runtime checks.)
fn validators(param: &Param) -> TokenStream {
    let bounds = param.bounds();
    let mut validators = Vec::new();
    if let Some(minimum) = bounds.minimum {
        let minimum = proc_macro2::Literal::f64_unsuffixed(minimum);
        validators.push(quote!(minimum(value = #minimum)));
    }
    if let Some(maximum) = bounds.maximum {
        let maximum = proc_macro2::Literal::f64_unsuffixed(maximum);
        validators.push(quote!(maximum(value = #maximum)));
    }
    if let Some(min_length) = bounds.min_length {
        let min_length = proc_macro2::Literal::u64_unsuffixed(min_length);
        validators.push(quote!(min_length = #min_length));
    }
    if let Some(max_length) = bounds.max_length {
        let max_length = proc_macro2::Literal::u64_unsuffixed(max_length);
        validators.push(quote!(max_length = #max_length));
    }
    if let Some(pattern) = bounds.pattern {
        validators.push(quote!(pattern = #pattern));
    }
    quote!(#(#validators),*)
}

/// Response schemas that become a struct rather than an alias.
fn is_struct(schema: &Schema) -> bool {
    schema.ty == Some(ParamType::Object) && !schema.properties.is_empty()
}

/// A field identifier; keywords become raw identifiers.
pub(crate) fn field_ident(wire_name: &str) -> Ident {
    let name = naming::field_name(wire_name);
    if naming::is_keyword(&name) {
        Ident::new_raw(&name, Span::call_site())
    } else {
        Ident::new(&name, Span::call_site())
    }
}

fn json_value() -> TokenStream {
    quote!(::connector_runtime::__private::serde_json::Value)
}

fn serde_crate() -> TokenStream {
    quote!(::connector_runtime::__private::serde)
}
