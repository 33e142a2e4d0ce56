"""The WebSocket API (`/ws-api/v3`): REST's operations over one connection, and user data."""
