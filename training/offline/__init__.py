"""Offline reading: the curriculum as a static site in a zip that needs no server (``flask offline bundle``)."""
