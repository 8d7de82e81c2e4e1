"""Benchmarks of vises against its own stack's limits (``python -m bench.<name>``, or ``bench/run-all``).

Each benchmark starts what it needs on 127.0.0.1 (a throw-away PostgreSQL database, Redis database 7,
gunicorn with the Procfile's settings, ``vises worker`` processes, the fake providers), measures a
baseline on the same stack in the same run, prints both with their ratio, writes
``bench/results/<name>.json`` and stops everything it started, on failure and Ctrl-C too.
"""
