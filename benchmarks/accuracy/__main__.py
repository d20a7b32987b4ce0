"""``python -m benchmarks.accuracy``: see ``run.py``."""

from benchmarks.accuracy.run import main

if __name__ == "__main__":
    raise SystemExit(main())
