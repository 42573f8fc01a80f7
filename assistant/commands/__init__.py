"""Sub-commands of ``python -m assistant``; each module defines ``register(app: typer.Typer)``."""
