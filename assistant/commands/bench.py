"""``bench``: run the benchmarks and print JSON."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    @app.command("bench")
    def bench(
        only: list[str] = typer.Option([], "--only", help="Run only these benchmarks (file name without bench_)."),
        quick: bool = typer.Option(False, "--quick", help="Tiny sizes: checks that benchmarks run, measures nothing."),
    ) -> None:
        """运行基准测试并输出 JSON / run the benchmarks, write bench/results/*.json."""
        from assistant.commands import benchmarks as runner

        typer.echo(json.dumps(runner.run(only, quick=quick), ensure_ascii=False, indent=2, default=str))
