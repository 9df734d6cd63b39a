"""The HTTP API of the custody service: ``api.app.create_app(services)``; see :mod:`api.app`."""
