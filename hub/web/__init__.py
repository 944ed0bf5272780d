"""The hub's web layer: the ASGI app, the GraphQL endpoint, agency callbacks, the
audit HTTP routes and the console.

Imports run one way: ``hub.web`` -> ``schema`` -> hub services -> ``adapters``; no
service module imports this package (``tests/hub/test_layers.py`` checks it).
"""
