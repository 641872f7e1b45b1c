//! Schema migrations (sea-orm-migration). A migration, once released, never changes: add one.

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(RefreshLeases),
            Box::new(IntegrationPrivateKeys),
        ]
    }
}

/// The first schema: integrations, connections, credentials, OAuth sessions, API keys and
/// the connector registry.
struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m20261125_000001_initial"
    }
}

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Connector,
    ClientId,
    ClientSecret,
    Scopes,
    BaseUrl,
    AuthorizationUrl,
    TokenUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    Connector,
    EndUserId,
    Status,
    Scopes,
    ExpiresAt,
    Metadata,
    ConnectionConfig,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    ConnectionId,
    KeyId,
    Sealed,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OauthSessions {
    Table,
    StateHash,
    Connector,
    ConnectionId,
    EndUserId,
    Scopes,
    ConnectionConfig,
    RedirectUrl,
    PkceVerifier,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    KeyHash,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    Name,
    Version,
    ContentHash,
    Source,
    Typed,
    UpdatedAt,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

fn optional_text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().null().to_owned()
}

fn json(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).json().not_null().to_owned()
}

fn time(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Integrations::Table)
                    .col(text(Integrations::Connector).primary_key())
                    .col(text(Integrations::ClientId))
                    .col(ColumnDef::new(Integrations::ClientSecret).text().not_null())
                    .col(ColumnDef::new(Integrations::Scopes).json().null())
                    .col(optional_text(Integrations::BaseUrl))
                    .col(optional_text(Integrations::AuthorizationUrl))
                    .col(optional_text(Integrations::TokenUrl))
                    .col(time(Integrations::CreatedAt))
                    .col(time(Integrations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(text(Connections::Id).primary_key())
                    .col(text(Connections::Connector))
                    .col(optional_text(Connections::EndUserId))
                    .col(text(Connections::Status))
                    .col(json(Connections::Scopes))
                    .col(
                        ColumnDef::new(Connections::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(json(Connections::Metadata))
                    .col(json(Connections::ConnectionConfig))
                    .col(ColumnDef::new(Connections::LastError).text().null())
                    .col(time(Connections::CreatedAt))
                    .col(time(Connections::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("connections_by_connector_and_end_user")
                    .table(Connections::Table)
                    .col(Connections::Connector)
                    .col(Connections::EndUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Credentials::Table)
                    .col(text(Credentials::ConnectionId).primary_key())
                    .col(text(Credentials::KeyId))
                    .col(ColumnDef::new(Credentials::Sealed).text().not_null())
                    .col(
                        ColumnDef::new(Credentials::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(time(Credentials::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("credentials_connection")
                            .from(Credentials::Table, Credentials::ConnectionId)
                            .to(Connections::Table, Connections::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthSessions::Table)
                    .col(text(OauthSessions::StateHash).primary_key())
                    .col(text(OauthSessions::Connector))
                    .col(text(OauthSessions::ConnectionId))
                    .col(optional_text(OauthSessions::EndUserId))
                    .col(json(OauthSessions::Scopes))
                    .col(json(OauthSessions::ConnectionConfig))
                    .col(ColumnDef::new(OauthSessions::RedirectUrl).text().null())
                    .col(ColumnDef::new(OauthSessions::PkceVerifier).text().null())
                    .col(time(OauthSessions::ExpiresAt))
                    .col(time(OauthSessions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(text(ApiKeys::KeyHash).primary_key())
                    .col(text(ApiKeys::Name))
                    .col(time(ApiKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Connectors::Table)
                    .col(text(Connectors::Name).primary_key())
                    .col(text(Connectors::Version))
                    .col(text(Connectors::ContentHash))
                    .col(text(Connectors::Source))
                    .col(ColumnDef::new(Connectors::Typed).boolean().not_null())
                    .col(time(Connectors::UpdatedAt))
                    .to_owned(),
            )
            .await
    }
}

/// A refresh lease on each credential: the process that holds it is the only one that may
/// call the token endpoint for that connection until it expires (see `refresh`).
struct RefreshLeases;

impl MigrationName for RefreshLeases {
    fn name(&self) -> &str {
        "m20261130_000002_refresh_leases"
    }
}

#[derive(DeriveIden)]
enum CredentialLease {
    LeaseOwner,
    LeaseExpiresMs,
}

#[async_trait::async_trait]
impl MigrationTrait for RefreshLeases {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Credentials::Table)
                    .add_column(optional_text(CredentialLease::LeaseOwner))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Credentials::Table)
                    .add_column(
                        ColumnDef::new(CredentialLease::LeaseExpiresMs)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }
}

/// An app's private key on each integration (auth kind `app_jwt`), sealed like the client
/// secret; null for the others.
struct IntegrationPrivateKeys;

impl MigrationName for IntegrationPrivateKeys {
    fn name(&self) -> &str {
        "m20261130_000003_integration_private_keys"
    }
}

#[derive(DeriveIden)]
enum IntegrationPrivateKey {
    PrivateKey,
}

#[async_trait::async_trait]
impl MigrationTrait for IntegrationPrivateKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Integrations::Table)
                    .add_column(optional_text(IntegrationPrivateKey::PrivateKey))
                    .to_owned(),
            )
            .await
    }
}
