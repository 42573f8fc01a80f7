"""Explained business reviews for managers, built from the tools."""
