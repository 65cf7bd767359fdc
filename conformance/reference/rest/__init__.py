"""The REST endpoints: pre-recorded listen, speak, grant, keys and the management API."""
