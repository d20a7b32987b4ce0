"""``python -m benchmarks.scale``: see ``run.py``."""

from benchmarks.scale.run import main

if __name__ == "__main__":
    raise SystemExit(main())
