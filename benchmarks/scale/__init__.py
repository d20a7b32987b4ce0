"""Scale benchmark (issue 5): matchengine against bare Splink ``predict()`` and an exact join.

``python -m benchmarks.scale``: see ``run.py`` and ``README.md``.
"""
