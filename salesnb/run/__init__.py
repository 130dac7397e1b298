"""Runs: parameters, the batch plan, executing notebooks, the command line."""
