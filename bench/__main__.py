"""`python -m bench [manual|web|engine|field] [options]`: run the benchmarks and print the numbers.

No pass/fail here, and tests have no timings: these are the numbers to watch.
"""

import sys

from . import engine, field, manual, web

if __name__ == "__main__":
    args = sys.argv[1:]
    which = args.pop(0) if args and args[0] in ("manual", "web", "engine", "field") else "all"
    if which in ("web", "all"):
        web.main(args if which == "web" else [])
        print()
    if which in ("manual", "all"):
        manual.main(args if which == "manual" else [])
    if which in ("engine", "all"):
        print()
        engine.main(args if which == "engine" else [])
    if which == "all":
        print()
    if which in ("field", "all"):
        field.main(args if which == "field" else [])
