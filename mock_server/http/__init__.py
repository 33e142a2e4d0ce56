"""The HTTP layer: the ASGI app, the control API, the edge limits, uvicorn settings, OpenAPI."""
