"""Source adapters: one module per network, each only translating its answers.

See ``wall.sources.base`` for the interface and ``wall.sources.registry`` for
the list of adapters.
"""
