"""Connect to Temporal from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig


async def connect() -> Client:
    config = ClientConfig.load_client_connect_config()
    # Compose files pass unset settings as empty strings; an empty API key would turn TLS on.
    if config.get("api_key") == "":
        del config["api_key"]
        config.pop("tls", None)
    if not config.get("namespace"):
        config.pop("namespace", None)
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=pydantic_data_converter)
