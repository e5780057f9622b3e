"""Printable PDF manuals: trainee workbooks, trainer manuals and handout packs, per language and site.

- ``options``: what to print; ``labels``: the words around the content, per language
- ``document``: the print HTML, from the engine's cached module HTML (pure)
- ``pdf``: WeasyPrint with a URL fetcher that reads only our own files
- ``isolation``: renders in recyclable child processes
- ``cache``: input hash → PDF file; ``build``: options → file, cached or rendered
- ``models``/``jobs``: builds off the request path; ``routes``, ``cli``: web and ``flask manuals``
"""
