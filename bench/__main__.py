"""`python -m bench`: run the benchmarks and print the numbers (no pass/fail; tests have no timings)."""

from .manual import main

if __name__ == "__main__":
    main()
