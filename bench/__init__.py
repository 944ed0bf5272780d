"""``hub bench``: measured speed of the hub against local mock agencies.

``bench.run.main`` prepares a database (``seed``), starts the mocks in this
process and the servers under test as subprocesses (``harness``,
``server``), runs the scenarios (``scenarios``) and prints a table and,
on request, JSON. ``docs/benchmarks.md`` explains each figure.
"""
