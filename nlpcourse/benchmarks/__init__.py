"""Benchmarks behind ``python -m nlpcourse.bench`` that need more than a few lines (chapter 2)."""
