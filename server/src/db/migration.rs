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
            Box::new(ChangeNotifications),
            Box::new(Webhooks),
            Box::new(CallLog),
            Box::new(BrowserSessions),
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

/// PostgreSQL only: every committed change to a connection, its credential or an integration
/// is announced on the `connector_changes` channel as `table:key`, so that each process drops
/// what it cached of that row at once (`crate::changes`). Triggers see every writer: the
/// server's processes, and an operator's SQL.
struct ChangeNotifications;

impl MigrationName for ChangeNotifications {
    fn name(&self) -> &str {
        "m20261201_000004_change_notifications"
    }
}

/// The channel the triggers notify on.
pub const CHANGES_CHANNEL: &str = "connector_changes";

#[async_trait::async_trait]
impl MigrationTrait for ChangeNotifications {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // The key column is the trigger's argument; NOTIFY is sent when the transaction
        // commits, and not at all when it rolls back.
        db.execute_unprepared(&format!(
            r#"
CREATE OR REPLACE FUNCTION connector_notify_change() RETURNS trigger AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    PERFORM pg_notify('{CHANGES_CHANNEL}', TG_TABLE_NAME || ':' || (to_jsonb(changed) ->> TG_ARGV[0]));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER connections_changed AFTER INSERT OR UPDATE OR DELETE ON connections
    FOR EACH ROW EXECUTE FUNCTION connector_notify_change('id');
CREATE TRIGGER credentials_changed AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION connector_notify_change('connection_id');
CREATE TRIGGER integrations_changed AFTER INSERT OR UPDATE OR DELETE ON integrations
    FOR EACH ROW EXECUTE FUNCTION connector_notify_change('connector');
"#
        ))
        .await
        .map(drop)
    }
}

/// Webhooks: the endpoints events go to, the events (the outbox), one delivery per event and
/// endpoint, and each integration's secret for the provider's incoming webhooks.
struct Webhooks;

impl MigrationName for Webhooks {
    fn name(&self) -> &str {
        "m20261201_000005_webhooks"
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Events,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    Type,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EventId,
    EndpointId,
    Type,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatus,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IntegrationWebhookSecret {
    WebhookSecret,
}

#[async_trait::async_trait]
impl MigrationTrait for Webhooks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(text(WebhookEndpoints::Id).primary_key())
                    .col(text(WebhookEndpoints::Url))
                    .col(json(WebhookEndpoints::Events))
                    .col(ColumnDef::new(WebhookEndpoints::Secret).text().not_null())
                    .col(time(WebhookEndpoints::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(text(WebhookEvents::Id).primary_key())
                    .col(text(WebhookEvents::Type))
                    .col(ColumnDef::new(WebhookEvents::Body).text().not_null())
                    .col(time(WebhookEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(text(WebhookDeliveries::Id).primary_key())
                    .col(text(WebhookDeliveries::EventId))
                    .col(text(WebhookDeliveries::EndpointId))
                    .col(text(WebhookDeliveries::Type))
                    .col(text(WebhookDeliveries::Status))
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastStatus)
                            .integer()
                            .null(),
                    )
                    .col(optional_text(WebhookDeliveries::LastError))
                    .col(time(WebhookDeliveries::CreatedAt))
                    .col(time(WebhookDeliveries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("webhook_deliveries_event")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(WebhookEvents::Table, WebhookEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The deliverer's query: the pending ones whose time has come.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_by_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Integrations::Table)
                    .add_column(optional_text(IntegrationWebhookSecret::WebhookSecret))
                    .to_owned(),
            )
            .await
    }
}

/// The call log (`call_log`), newest first by id, filtered by connection or connector.
struct CallLog;

impl MigrationName for CallLog {
    fn name(&self) -> &str {
        "m20261202_000006_call_log"
    }
}

#[derive(DeriveIden)]
enum CallLogTable {
    #[sea_orm(iden = "call_log")]
    Table,
    Id,
    At,
    ConnectionId,
    Connector,
    Kind,
    Method,
    Path,
    Status,
    DurationMs,
    Attempts,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for CallLog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CallLogTable::Table)
                    .col(
                        ColumnDef::new(CallLogTable::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(time(CallLogTable::At))
                    .col(optional_text(CallLogTable::ConnectionId))
                    .col(optional_text(CallLogTable::Connector))
                    .col(text(CallLogTable::Kind))
                    .col(text(CallLogTable::Method))
                    .col(text(CallLogTable::Path))
                    .col(ColumnDef::new(CallLogTable::Status).integer().null())
                    .col(
                        ColumnDef::new(CallLogTable::DurationMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CallLogTable::Attempts).integer().not_null())
                    .col(optional_text(CallLogTable::Error))
                    .to_owned(),
            )
            .await?;
        // The two filters of the listing, newest first. No index on `at`: the hourly prune
        // can scan, while every index costs each of the many inserts.
        for (name, column) in [
            ("call_log_by_connection", CallLogTable::ConnectionId),
            ("call_log_by_connector", CallLogTable::Connector),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(CallLogTable::Table)
                        .col(column)
                        .col(CallLogTable::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The dashboard's login sessions, the hosted connect page's sessions, and the browser an
/// authorization started in.
struct BrowserSessions;

impl MigrationName for BrowserSessions {
    fn name(&self) -> &str {
        "m20261202_000007_browser_sessions"
    }
}

#[derive(DeriveIden)]
enum DashboardSessions {
    Table,
    IdHash,
    CsrfToken,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConnectSessions {
    Table,
    TokenHash,
    EndUserId,
    AllowedConnectors,
    RedirectUrl,
    BrowserHash,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthSessionBrowser {
    BrowserHash,
}

#[async_trait::async_trait]
impl MigrationTrait for BrowserSessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DashboardSessions::Table)
                    .col(text(DashboardSessions::IdHash).primary_key())
                    .col(text(DashboardSessions::CsrfToken))
                    .col(time(DashboardSessions::ExpiresAt))
                    .col(time(DashboardSessions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConnectSessions::Table)
                    .col(text(ConnectSessions::TokenHash).primary_key())
                    .col(text(ConnectSessions::EndUserId))
                    .col(
                        ColumnDef::new(ConnectSessions::AllowedConnectors)
                            .json()
                            .null(),
                    )
                    .col(optional_text(ConnectSessions::RedirectUrl))
                    .col(optional_text(ConnectSessions::BrowserHash))
                    .col(time(ConnectSessions::ExpiresAt))
                    .col(time(ConnectSessions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OauthSessions::Table)
                    .add_column(optional_text(OauthSessionBrowser::BrowserHash))
                    .to_owned(),
            )
            .await
    }
}
