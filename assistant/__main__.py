from __future__ import annotations

from assistant.cli import main

main()
