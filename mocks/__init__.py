"""Mock agency systems for development, demos and tests (not for production).

One small Starlette app per agency kind (``police``, ``realestate``, ``tax``,
``hr``, ``credit``), each speaking its agency's own style, all sharing the
admin surface, fault switches and order book of ``mocks._common``. ``runner``
serves the five on local ports and writes a matching ``hub.toml``.
"""
