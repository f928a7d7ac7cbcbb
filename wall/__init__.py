"""Vague verte: the live photo wall of Jeudi PerséVERT."""

__version__ = "0.1.0"
