# flake8: noqa

# import apis into api package
from connector_platform.api.connections_api import ConnectionsApi
from connector_platform.api.connectors_api import ConnectorsApi
from connector_platform.api.dropbox_api import DropboxApi
from connector_platform.api.gmail_api import GmailApi
from connector_platform.api.integrations_api import IntegrationsApi
from connector_platform.api.oauth_api import OauthApi
from connector_platform.api.onedrive_api import OnedriveApi

