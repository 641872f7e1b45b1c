//! The registry: search, pages and the embedded catalog. The fixture definitions of
//! `tests/fixtures/catalog/` are served from CONNECTOR_DEFS_DIR.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{Options, TestServer, error_code};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog")
}

async fn server_with_fixtures() -> TestServer {
    TestServer::start_with(Options {
        defs_dir: Some(fixtures()),
        ..Options::default()
    })
    .await
}

fn names(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|connector| connector["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn search_by_text_auth_kind_and_category() {
    let server = server_with_fixtures().await;
    let found = async |query: &str| {
        let (status, list) = server.get(&format!("/v1/connectors?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert!(list.get("next_cursor").is_none(), "{list}");
        names(&list)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(found("q=ACME").await, ["acme_crm"]);
    // The display name counts too.
    assert_eq!(found("q=zeta%20drive").await, ["zeta_files"]);
    assert_eq!(found("q=help&category=ticketing").await, ["helpdesk"]);
    assert_eq!(
        found("q=helpdesk&category=crm&auth_kind=basic").await,
        ["helpdesk"]
    );
    assert_eq!(found("q=zeta&auth_kind=oauth2").await, ["zeta_files"]);
    assert!(found("q=zeta&auth_kind=api_key").await.is_empty());
    assert!(found("q=acme&category=cr").await.is_empty());
    // The catalog's google_mail is "Gmail" too.
    let gmail = found("q=gmail&auth_kind=oauth2&category=productivity").await;
    assert_eq!(gmail[0], "gmail", "{gmail:?}");

    let (_, list) = server.get("/v1/connectors?q=acme").await;
    let acme = &list["data"][0];
    assert_eq!(
        acme["source"],
        fixtures().join("acme_crm.yaml").display().to_string()
    );
    assert_eq!(acme["typed"], false);
    assert_eq!(acme["categories"], serde_json::json!(["crm", "marketing"]));

    let (status, body) = server.get("/v1/connectors?auth_kind=carrier_pigeon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_request");
}

#[tokio::test]
async fn pages_follow_the_cursor_in_name_order() {
    let server = server_with_fixtures().await;
    let total = server.state.registry.entries().count();
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("/v1/connectors?limit=4&cursor={cursor}"),
            None => "/v1/connectors?limit=4".to_owned(),
        };
        let (status, page) = server.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let page_names = names(&page);
        assert!(page_names.len() <= 4);
        seen.extend(page_names.into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "pages are in name order, each name once");
    assert_eq!(seen.len(), total);

    // 50 by default.
    let (_, first) = server.get("/v1/connectors").await;
    assert_eq!(names(&first).len(), total.min(50));
    assert_eq!(first["next_cursor"].is_string(), total > 50);

    for (query, code) in [
        ("limit=0", "invalid_input"),
        ("limit=201", "invalid_input"),
        ("cursor=%21%21", "invalid_cursor"),
        ("cursor=_w", "invalid_cursor"),
    ] {
        let (status, body) = server.get(&format!("/v1/connectors?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(error_code(&body), code, "{query}");
    }
    let (status, _) = server.get("/v1/connectors?limit=200").await;
    assert_eq!(status, StatusCode::OK);
}

/// With no CONNECTOR_DEFS_DIR, the embedded catalog is there, and every entry answers by name.
#[tokio::test]
async fn the_catalog_is_built_in() {
    let server = TestServer::start().await;
    let registry = &server.state.registry;
    let catalog: Vec<&str> = registry
        .entries()
        .filter(|entry| entry.source == "catalog")
        .map(|entry| entry.def.name.as_str())
        .collect();
    assert_eq!(
        catalog.len() + connector_server::registry::TYPED.len(),
        registry.entries().count(),
        "the built-ins and the catalog"
    );
    for name in catalog {
        let (status, connector) = server.get(&format!("/v1/connectors/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{name}: {connector}");
        assert_eq!(connector["source"], "catalog");
        assert_eq!(connector["typed"], false);
    }
    let (_, gmail) = server.get("/v1/connectors/gmail").await;
    assert_eq!(gmail["source"], "builtin");
}

/// A CONNECTOR_DEFS_DIR file replaces the catalog's definition of the same name.
#[tokio::test]
async fn the_defs_dir_replaces_a_catalog_entry() {
    let Some(first) = connector_server::registry::catalog::FILES.first() else {
        // No catalog yet: the registry's unit tests cover this with fixtures.
        return;
    };
    let def = connector_defs::parse(first.1, first.0).unwrap();
    let defs = tempfile::tempdir().unwrap();
    let own = defs.path().join("own.yaml");
    std::fs::write(
        &own,
        format!(
            "name: {}\nversion: 9.9.9\nbase_url: https://own.example\nauth: {{ kind: bearer }}\n",
            def.name
        ),
    )
    .unwrap();
    let server = TestServer::start_with(Options {
        defs_dir: Some(defs.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let (status, connector) = server.get(&format!("/v1/connectors/{}", def.name)).await;
    assert_eq!(status, StatusCode::OK, "{connector}");
    assert_eq!(connector["version"], "9.9.9");
    assert_eq!(connector["source"], own.display().to_string());
}
