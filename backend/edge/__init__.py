"""The edge of the app: ASGI guards (body limits, rate limits, hosts, security headers), health, and the
supervision of the embedded database. Everything here runs before a transport parses a request."""
