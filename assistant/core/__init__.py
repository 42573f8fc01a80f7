"""The bottom layer: errors, settings, JSON conversion and language detection. Imports nothing of ours."""
