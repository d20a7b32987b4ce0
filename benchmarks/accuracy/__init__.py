"""Accuracy benchmark: matchengine against peers on public and generated datasets.

Run ``python -m benchmarks.accuracy --help`` (or ``python benchmarks/accuracy/run.py``).
Each dataset is turned into the matchengine problem (an app CSV, a Clever snapshot folder
and the true ``expected.csv``); matchengine runs through its CLI, the peers run in-process
on the same files, and every system is scored with ``matchengine.evaluate.evaluate``.
"""
