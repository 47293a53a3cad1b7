"""The benchmarks behind ``python -m nlpcourse.bench NAME``, one module each.

Each module has ``add_arguments(parser)`` and ``run(args) -> dict`` (the figures).
"""
