"""Astrolabe training-corpus pipeline (see README.md in this folder)."""
