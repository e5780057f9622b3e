"""Looking after the curriculum from the app: the translation-status page and ``flask curriculum``.

The engine itself (training.curriculum) stays free of Flask; this area is its web and
command-line face.
"""
