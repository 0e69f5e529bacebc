"""Bulk data for the catalogue: the MovieLens importer and the synthetic dataset generator.

See docs/data.md for the rules, the idempotency semantics and measured timings.
"""
