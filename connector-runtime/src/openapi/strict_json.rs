//! [`StrictJson`]: a JSON body that refuses what its schema does not declare.
//!
//! poem-openapi's `Json` ignores unknown fields, and its `deny_unknown_fields` cannot be used
//! with `flatten` (which every typed action input uses), names no closest field and answers
//! `invalid_request` with no details. This payload checks the body against the type's
//! registered schema instead, so server routes and generated actions alike answer 400
//! `invalid_input` with the field's path, and a suggestion when a known name is close.

use poem::http::StatusCode;
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};
use poem_openapi::error::{ContentTypeError, ParseRequestPayloadError};
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::{Value, json};

use super::{ActionError, ActionStatus};
use crate::defs::Bounds;
use connector_defs::suggest::closest;

/// A JSON request body of type `T` in which every field, at any depth, is one that `T`'s
/// schema declares, and every value is within the bounds the schema declares (`minimum`,
/// `maximum`, `minLength`, `maxLength`, `pattern`, `enum`). Otherwise the request fails with
/// [`InvalidField`]. Anything else behaves as poem-openapi's `Json`.
#[derive(Debug, Clone, PartialEq)]
pub struct StrictJson<T>(pub T);

/// A field of a [`StrictJson`] body that the schema does not declare, or a value outside its
/// bounds: 400 `invalid_input`, with `details.field` (its path, as `credentials.api_key` or
/// `items[2]`) and, for an unknown field close to a known one, `details.suggestion`. A
/// required field that is missing (or `null`) is one too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidField {
    pub field: String,
    pub message: String,
    pub suggestion: Option<String>,
}

impl From<&InvalidField> for ActionError {
    fn from(invalid: &InvalidField) -> ActionError {
        let mut details = json!({ "field": invalid.field });
        if let Some(suggestion) = &invalid.suggestion {
            details["suggestion"] = json!(suggestion);
        }
        ActionError::new(ActionStatus::BadRequest, "invalid_input", &invalid.message)
            .with_details(details)
    }
}

impl poem::error::ResponseError for InvalidField {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn as_response(&self) -> Response {
        let mut response = Json(*ActionError::from(self).body).into_response();
        response.set_status(self.status());
        response
    }
}

impl<T: Type> Payload for StrictJson<T> {
    const CONTENT_TYPE: &'static str = Json::<T>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        Json::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        let value = if data.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&data).map_err(|error| ParseRequestPayloadError {
                reason: error.to_string(),
            })?
        };
        let mut registry = Registry::new();
        T::register(&mut registry);
        check(&registry, &T::schema_ref(), &value, "")?;
        let value = T::parse_from_json(Some(value)).map_err(|error| ParseRequestPayloadError {
            reason: error.into_message(),
        })?;
        Ok(StrictJson(value))
    }
}

impl<'a, T: ParseFromJSON> ApiExtractor<'a> for StrictJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: Self::CONTENT_TYPE,
                schema: Self::schema_ref(),
            }],
            required: Self::IS_REQUIRED,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if Self::check_content_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            Some(content_type) => Err(ContentTypeError::NotSupported {
                content_type: content_type.to_owned(),
            }
            .into()),
            None => Err(ContentTypeError::ExpectContentType.into()),
        }
    }
}

/// Checks `value`, found at `path`, against `schema`. Values of another type than the schema's
/// pass: parsing reports those.
fn check(
    registry: &Registry,
    schema: &MetaSchemaRef,
    value: &Value,
    path: &str,
) -> Result<(), InvalidField> {
    if value.is_null() {
        return Ok(());
    }
    let mut parts = Vec::new();
    collect_parts(registry, schema, &mut parts);
    if !path.is_empty() {
        for part in &parts {
            if let Err(problem) = bounds(part).check(value) {
                return Err(InvalidField {
                    field: path.to_owned(),
                    message: format!("field `{path}` {problem}"),
                    suggestion: None,
                });
            }
        }
    }
    match value {
        Value::Object(object) => {
            let properties: Vec<&(&str, MetaSchemaRef)> =
                parts.iter().flat_map(|part| &part.properties).collect();
            // Free-form objects (maps, JSON values) take any field.
            let open = properties.is_empty()
                || parts
                    .iter()
                    .any(|part| part.additional_properties.is_some());
            for (key, field_value) in object {
                let field = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match properties.iter().find(|(name, _)| name == key) {
                    Some((_, field_schema)) => check(registry, field_schema, field_value, &field)?,
                    None if open => {}
                    None => return Err(unknown_field(field, key, &properties)),
                }
            }
            // poem-openapi's own message for a missing field names its type, not the field.
            let required = parts.iter().flat_map(|part| &part.required);
            if let Some(missing) = required
                .into_iter()
                .find(|name| object.get(**name).is_none_or(Value::is_null))
            {
                let field = if path.is_empty() {
                    (*missing).to_owned()
                } else {
                    format!("{path}.{missing}")
                };
                return Err(InvalidField {
                    message: format!("field `{field}` is required"),
                    field,
                    suggestion: None,
                });
            }
        }
        Value::Array(items) => {
            for items_schema in parts.iter().filter_map(|part| part.items.as_deref()) {
                for (index, item) in items.iter().enumerate() {
                    check(registry, items_schema, item, &format!("{path}[{index}]"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn unknown_field(field: String, key: &str, properties: &[&(&str, MetaSchemaRef)]) -> InvalidField {
    let known = properties.iter().map(|(name, _)| *name);
    let suggestion = closest(key, known.clone()).map(str::to_owned);
    let message = match &suggestion {
        Some(suggestion) => format!("unknown field `{field}`; did you mean `{suggestion}`?"),
        None => format!(
            "unknown field `{field}` (known fields: {})",
            known.collect::<Vec<_>>().join(", ")
        ),
    };
    InvalidField {
        field,
        message,
        suggestion,
    }
}

/// The schema itself and, through `allOf` (a `$ref` with a description or bounds), the
/// schemas it combines.
fn collect_parts<'a>(
    registry: &'a Registry,
    schema: &'a MetaSchemaRef,
    out: &mut Vec<&'a MetaSchema>,
) {
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => &**schema,
        MetaSchemaRef::Reference(name) => match registry.schemas.get(name) {
            Some(schema) => schema,
            None => return,
        },
    };
    out.push(schema);
    for part in &schema.all_of {
        collect_parts(registry, part, out);
    }
}

fn bounds(schema: &MetaSchema) -> Bounds<'_> {
    Bounds {
        minimum: schema.minimum,
        maximum: schema.maximum,
        min_length: schema.min_length.map(|n| n as u64),
        max_length: schema.max_length.map(|n| n as u64),
        pattern: schema.pattern.as_deref(),
        allowed: (!schema.enum_items.is_empty()).then_some(&schema.enum_items[..]),
    }
}
