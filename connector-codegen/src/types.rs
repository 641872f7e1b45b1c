//! Rust types for the inputs and outputs of a connector's endpoints.
//!
//! Every type is emitted once into the connector's module. Its OpenAPI schema name is the
//! connector's type name followed by the Rust name (`GmailListMessagesRequest`), which keeps
//! schema names unique across every connector a server mounts.

use std::collections::{BTreeMap, BTreeSet};

use connector_defs::naming;
use connector_defs::{ConnectorDef, Endpoint, Param, ParamType, Schema};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

/// Collects the type definitions of one connector module.
///
/// The named schemas (`schemas:`) are registered first, under their own names, so that every
/// `$ref` to one is that one type; anonymous schemas are named after where they appear.
pub(crate) struct TypeSpace<'d> {
    /// `Gmail`: prefix of every OpenAPI schema name.
    schema_prefix: String,
    openapi: bool,
    names: BTreeSet<String>,
    items: Vec<TokenStream>,
    /// Named schema → the named schemas its definition refers to (not through other names).
    refs: BTreeMap<&'d str, BTreeSet<&'d str>>,
    /// Named schema → the discriminator property of a union it is an alternative of: the
    /// union's tag, so the alternative's struct leaves it out (serde and poem-openapi add it).
    tags: BTreeMap<&'d str, &'d str>,
    /// The named schema being defined, whose fields that lead back to it must be boxed.
    defining: Option<&'d str>,
    /// Anonymous string enums by their values: two parameters taking the same set of values
    /// share one type (and one OpenAPI component).
    enums: BTreeMap<Vec<String>, Ident>,
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

impl<'d> TypeSpace<'d> {
    /// A type space holding the definition's named schemas.
    pub(crate) fn new(def: &'d ConnectorDef, openapi: bool) -> TypeSpace<'d> {
        let mut refs = BTreeMap::new();
        let mut tags = BTreeMap::new();
        for (name, schema) in &def.schemas {
            let mut nested = Vec::new();
            walk(schema, &mut nested);
            let found = nested
                .iter()
                .filter_map(|schema| schema.ref_name())
                .collect();
            refs.insert(name.as_str(), found);
        }
        for schema in all_schemas(def) {
            if let Some(discriminator) = &schema.discriminator {
                for alternative in &schema.one_of {
                    if let Some(name) = alternative.ref_name() {
                        tags.insert(name, discriminator.property_name.as_str());
                    }
                }
            }
        }
        let mut space = TypeSpace {
            schema_prefix: naming::type_name(&def.name),
            openapi,
            names: def.schemas.keys().cloned().collect(),
            items: Vec::new(),
            refs,
            tags,
            defining: None,
            enums: BTreeMap::new(),
        };
        for (name, schema) in &def.schemas {
            space.define_named(name, schema);
        }
        space
    }

    /// One named schema, under its own name: a struct, an enum, a union, or an alias of a
    /// Rust type (arrays, scalars: they have no component of their own).
    fn define_named(&mut self, name: &'d str, schema: &'d Schema) {
        self.defining = Some(name);
        if !schema.one_of.is_empty() {
            self.define_union(name, schema);
        } else if is_struct(schema) {
            self.define_object(name, schema);
        } else if schema.ty == Some(ParamType::String) && schema.enum_values.is_some() {
            let values = schema.enum_values.as_deref().unwrap_or_default();
            self.define_enum_named(name, schema.description.clone(), values);
        } else {
            let ident = format_ident!("{}", name);
            let ty = self.schema_type(&format!("{name}Value"), schema);
            let doc = schema.description.as_deref().map(super::doc);
            self.items.push(quote! {
                #doc
                pub type #ident = #ty;
            });
        }
        self.defining = None;
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

    /// `ListMessagesResponse`: a struct for an object schema, an alias otherwise (of the
    /// named schema for a `$ref`, of [`connector_runtime::Download`] for a binary body).
    pub(crate) fn response(&mut self, endpoint_type: &str, endpoint: &Endpoint) -> Ident {
        let name = format!("{endpoint_type}Response");
        match &endpoint.response {
            Some(schema) if schema.is_binary() => {
                let ident = self.claim_ident(&name);
                self.items.push(quote! {
                    /// Output of the endpoint: the file's bytes, streamed as they are read.
                    pub type #ident = ::connector_runtime::Download;
                });
                ident
            }
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
        self.schema_type_in(hint, schema, false)
    }

    /// [`TypeSpace::schema_type`]; `in_array` when a `Vec` already breaks a cycle.
    fn schema_type_in(&mut self, hint: &str, schema: &Schema, in_array: bool) -> TokenStream {
        if let Some(name) = schema.ref_name() {
            let ident = format_ident!("{}", name);
            let cyclic = self
                .defining
                .is_some_and(|defining| self.reaches(name, defining));
            return if cyclic && !in_array {
                quote!(::std::boxed::Box<#ident>)
            } else {
                quote!(#ident)
            };
        }
        if !schema.one_of.is_empty() {
            let name = self.claim(hint);
            self.define_union(&name, schema);
            let ident = format_ident!("{}", name);
            return quote!(#ident);
        }
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
                    Some(items) => self.schema_type_in(&format!("{hint}Item"), items, true),
                    None => json_value(),
                };
                quote!(::std::vec::Vec<#item>)
            }
            ParamType::Object if schema.properties.is_empty() => json_value(),
            ParamType::Object => {
                let name = self.claim(hint);
                self.define_object(&name, schema);
                let ident = format_ident!("{}", name);
                quote!(#ident)
            }
        }
    }

    /// The struct of an object schema, named `name` (claimed already); a union alternative
    /// leaves out its union's tag.
    fn define_object(&mut self, name: &str, schema: &Schema) {
        let tag = self.tags.get(name).copied();
        let fields = schema
            .properties
            .iter()
            .filter(|(wire_name, _)| Some(wire_name.as_str()) != tag)
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
        self.define_struct(name, schema.description.clone(), fields);
    }

    /// A `oneOf` with a discriminator: an enum with one variant per alternative, tagged by
    /// the discriminator property for serde and poem-openapi alike.
    fn define_union(&mut self, name: &str, schema: &Schema) {
        let ident = format_ident!("{}", name);
        let serde_crate = serde_crate();
        let schema_name = format!("{}{name}", self.schema_prefix);
        let doc = schema.description.as_deref().map(super::doc);
        let Some(discriminator) = &schema.discriminator else {
            // Validation demands a discriminator; without one the value stays free JSON.
            let value = json_value();
            self.items.push(quote!(pub type #ident = #value;));
            return;
        };
        let tag = discriminator.property_name.as_str();
        // Variants are named after the tag (`Metadata::File(FileMetadata)`), as typify does.
        let mut used = BTreeSet::new();
        let variants = discriminator
            .values(&schema.one_of)
            .map(|(value, alternative)| {
                let target = format_ident!("{}", alternative.ref_name().unwrap_or_default());
                let mut variant = naming::type_name(&naming::field_name(value));
                if variant.is_empty() || !variant.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    variant = target.to_string();
                }
                let variant = unique_variant(&mut used, variant);
                let oai = self.openapi.then(|| quote!(#[oai(mapping = #value)]));
                quote! {
                    #[serde(rename = #value)]
                    #oai
                    #variant(#target),
                }
            });
        let variants: Vec<_> = variants.collect();
        let openapi_derive = self.openapi.then(|| quote!(, poem_openapi::Union));
        let openapi_attributes = self
            .openapi
            .then(|| quote!(#[oai(rename = #schema_name, discriminator_name = #tag, one_of)]));
        self.items.push(quote! {
            #doc
            #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::cmp::PartialEq,
                #serde_crate::Serialize, #serde_crate::Deserialize #openapi_derive)]
            #[serde(crate = "::connector_runtime::__private::serde", tag = #tag)]
            #openapi_attributes
            pub enum #ident {
                #(#variants)*
            }
        });
    }

    /// Whether the named schema `from` leads to the named schema `to` through refs.
    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(name) = stack.pop() {
            if name == to {
                return true;
            }
            if seen.insert(name) {
                stack.extend(self.refs.get(name).into_iter().flatten().copied());
            }
        }
        false
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
        let key: Vec<String> = values.iter().map(Value::to_string).collect();
        if let Some(ident) = self.enums.get(&key) {
            return quote!(#ident);
        }
        let name = self.claim(hint);
        self.enums.insert(key, format_ident!("{}", name));
        self.define_enum_named(&name, doc, values)
    }

    /// A string enum named `name` (claimed already).
    fn define_enum_named(
        &mut self,
        name: &str,
        doc: Option<String>,
        values: &[Value],
    ) -> TokenStream {
        let ident = format_ident!("{}", name);
        let serde_crate = serde_crate();
        let schema_name = format!("{}{name}", self.schema_prefix);
        let openapi_derive = self.openapi.then(|| quote!(, poem_openapi::Enum));
        let openapi_rename = self.openapi.then(|| quote!(#[oai(rename = #schema_name)]));
        let doc = doc.as_deref().map(super::doc);
        let mut used = BTreeSet::new();
        let variants = values.iter().filter_map(Value::as_str).map(|value| {
            let variant = unique_variant(&mut used, naming::type_name(&naming::field_name(value)));
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

/// `wanted` as a variant name not yet `used` in its enum, suffixed with `_` until it is free
/// (two values that differ only in case or punctuation).
fn unique_variant(used: &mut BTreeSet<String>, mut wanted: String) -> Ident {
    while !used.insert(wanted.clone()) {
        wanted.push('_');
    }
    format_ident!("{}", wanted)
}

/// `schema` and every schema nested in it (properties, items, alternatives), without following
/// `$ref`s.
fn walk<'d>(schema: &'d Schema, out: &mut Vec<&'d Schema>) {
    out.push(schema);
    for child in schema.properties.values().chain(&schema.one_of) {
        walk(child, out);
    }
    if let Some(items) = &schema.items {
        walk(items, out);
    }
}

/// Every schema written in the definition, nested ones included.
fn all_schemas(def: &ConnectorDef) -> Vec<&Schema> {
    let mut out = Vec::new();
    for schema in def.schemas.values() {
        walk(schema, &mut out);
    }
    for endpoint in def.endpoints.values() {
        if let Some(response) = &endpoint.response {
            walk(response, &mut out);
        }
        for param in endpoint.params.values() {
            for property in param.properties.values() {
                walk(property, &mut out);
            }
            if let Some(items) = &param.items {
                walk(items, &mut out);
            }
        }
    }
    out
}

/// Response schemas that become a struct rather than an alias.
fn is_struct(schema: &Schema) -> bool {
    schema.ty == Some(ParamType::Object) && !schema.properties.is_empty()
}

/// A field identifier; keywords become raw identifiers.
pub(crate) fn field_ident(wire_name: &str) -> Ident {
    let name = naming::field_name(wire_name);
    // These four cannot be raw identifiers (Jira's and Calendar's `self`).
    if matches!(name.as_str(), "self" | "super" | "crate" | "Self") {
        return format_ident!("{name}_");
    }
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
