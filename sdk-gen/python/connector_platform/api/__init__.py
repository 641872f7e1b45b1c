# flake8: noqa

# import apis into api package
from connector_platform.api.asana_api import AsanaApi
from connector_platform.api.connections_api import ConnectionsApi
from connector_platform.api.connectors_api import ConnectorsApi
from connector_platform.api.dropbox_api import DropboxApi
from connector_platform.api.github_api import GithubApi
from connector_platform.api.gmail_api import GmailApi
from connector_platform.api.google_calendar_api import GoogleCalendarApi
from connector_platform.api.google_drive_api import GoogleDriveApi
from connector_platform.api.google_sheets_api import GoogleSheetsApi
from connector_platform.api.hubspot_api import HubspotApi
from connector_platform.api.integrations_api import IntegrationsApi
from connector_platform.api.jira_api import JiraApi
from connector_platform.api.logs_api import LogsApi
from connector_platform.api.notion_api import NotionApi
from connector_platform.api.oauth_api import OauthApi
from connector_platform.api.onedrive_api import OnedriveApi
from connector_platform.api.outlook_api import OutlookApi
from connector_platform.api.salesforce_api import SalesforceApi
from connector_platform.api.slack_api import SlackApi
from connector_platform.api.stripe_api import StripeApi
from connector_platform.api.webhooks_api import WebhooksApi
from connector_platform.api.zendesk_api import ZendeskApi

