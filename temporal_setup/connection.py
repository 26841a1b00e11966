"""Connect to Temporal from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY."""

from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

from contract.payloads import DATA_CONVERTER


async def connect(runtime: Runtime | None = None) -> Client:
    """A client on `runtime` (the worker's, with its metrics exporter), else the SDK's default."""
    config = ClientConfig.load_client_connect_config()
    # Compose files pass unset settings as empty strings; an empty API key would turn TLS on.
    if config.get("api_key") == "":
        del config["api_key"]
        config.pop("tls", None)
    if not config.get("namespace"):
        config.pop("namespace", None)
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=DATA_CONVERTER, runtime=runtime)
