"""The data tab: import files through the validated import path, regenerate the sample (managers only).

Both write a new warehouse file beside the old one and move it into place at once, keeping the previous
one as ``<warehouse>.bak`` (``python -m assistant data restore`` brings it back); questions are answered
from the old file until then (assistant.web.sessions).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.web.context import Caller, Web, hide_paths, under
from assistant.web.data_summary import warehouse_md

TARGETS = ["自动 / auto", "transactions (交易流水预设 / transaction log preset)"]
MANAGERS_ONLY = ("只有经理可以{zh}。", "Only managers can {en}.")


def refuse(c: Caller, zh: str, en: str) -> str | None:
    if c.who.role == "manager":
        return None
    return f"**{MANAGERS_ONLY[0].format(zh=zh)} / {MANAGERS_ONLY[1].format(en=en)}**"


def data_tab(web: Web, info: gr.Markdown) -> tuple[gr.Column, gr.Column]:
    from assistant.warehouse.schema import TABLES

    with gr.Column(visible=not web.multi_user) as import_box:
        gr.Markdown(
            "### 导入数据 / Import data\nCSV(UTF-8/GBK)、Excel、Parquet;导入前全部校验,失败则数据不变;导入期间照常回答问题。"
            " / Everything is validated first; a failed import changes nothing; questions are answered meanwhile."
        )
        files = gr.File(
            label=f"文件 / files (≤ {web.settings.max_upload_mb:g} MB)",
            file_count="multiple",
            file_types=[".csv", ".xlsx", ".parquet", ".txt"],
            elem_id="import-files",
        )
        with gr.Row():
            target = gr.Dropdown(TARGETS + [t.name for t in TABLES], value=TARGETS[0], label="目标 / target")
            mode = gr.Radio(["replace", "append"], value="replace", label="方式 / mode")
            date_order = gr.Dropdown(["", "ymd", "dmy", "mdy"], value="", label="日期顺序 / date order (05/01/2024)")
        run = gr.Button("导入 / Import", variant="primary", elem_id="import-run")
    report = gr.Markdown(elem_id="import-report")
    rejects = gr.File(label="被拒收的行 / rejected rows", interactive=False, elem_id="import-rejects")

    def on_import(
        paths: list[str] | None, tgt: str, md: str, order: str, request: gr.Request
    ) -> tuple[str, str | None, str]:
        from assistant.warehouse.importer import ImportOptions
        from assistant.warehouse.importer.core import import_replacing

        try:
            c = web.caller(request)
        except AssistantError as exc:
            return f"{exc.zh}\n\n{exc.en}", None, ""
        no = refuse(c, "导入数据", "import data")
        if no:
            web.audit.write("import_refused", c.who.name, reason="role")
            return no, None, warehouse_md(web, request)
        # Only files this user uploaded, in the server's upload folder: never a path of the caller's choosing.
        paths = [p for p in paths or [] if under(p, web.files.root) and web.files.owner_of(p) == c.who.name]
        if not paths:
            return "请先选择文件。 / Choose files first.", None, warehouse_md(web, request)
        work = web.files.new_dir()
        opts = ImportOptions(
            preset="transactions" if tgt.startswith("transactions") else None,
            table=None if tgt.startswith(("自动", "transactions")) else tgt,
            mode=md,  # type: ignore[arg-type]
            date_order=order or None,  # type: ignore[arg-type]
            rejects_path=work / (web.sessions.db.stem + ".rejects.csv"),
        )
        names = [Path(p).name for p in paths]
        try:
            rep = import_replacing(paths, opts, web.sessions.db, by=c.who.name)
        except AssistantError as exc:
            failed = getattr(exc, "report", None)  # ImportFailed carries what was found, with the rejects file
            bad = web.files.keep_rejects(
                failed.rejects_path if failed else None, c.who.name, token=c.token, browser=c.browser
            )
            shutil.rmtree(work, ignore_errors=True)  # the full rejects file: only the capped copy is kept
            web.audit.write("import_failed", c.who.name, files=names, mode=md, reason=exc.en)
            return (
                f"**导入失败,数据未改变 / Import failed, nothing changed**\n\n{hide_paths(exc.zh)}\n\n{hide_paths(exc.en)}",
                bad,
                warehouse_md(web, request),
            )
        finally:
            for p in paths:  # the uploads have done their job
                Path(p).unlink(missing_ok=True)
        kept = web.files.keep_rejects(rep.rejects_path, c.who.name, token=c.token, browser=c.browser)
        shutil.rmtree(work, ignore_errors=True)
        web.audit.write(
            "import",
            c.who.name,
            files=names,
            mode=md,
            rows_read=rep.rows_read,
            rows_rejected=rep.rows_rejected,
            tables={k: v.imported for k, v in rep.tables.items()},
        )
        text = hide_paths(rep.render("zh") + "\n\n---\n\n" + rep.render("en"))
        return f"```\n{text}\n```", kept, warehouse_md(web, request)

    run.click(on_import, [files, target, mode, date_order], [report, rejects, info], api_visibility="private")

    with gr.Column(visible=not web.multi_user) as regen_box:
        gr.Markdown(
            "### 示例数据 / Sample data\n重新生成会替换当前数据仓库;原数据保留为备份,可用 `python -m assistant data restore` 恢复。"
            "含导入数据的仓库只能在命令行强制替换。 / Regenerating replaces the warehouse; the previous one is kept as a "
            "backup (`python -m assistant data restore`). A warehouse holding imported data can only be replaced "
            "from the command line with --force."
        )
        with gr.Row():
            n = gr.Number(2000, label="客户数 / customers", precision=0, minimum=10, maximum=200_000)
            seed = gr.Number(42, label="随机种子 / seed", precision=0)
        confirm = gr.Checkbox(
            False, label="我确认用示例数据替换当前数据 / I confirm replacing the current data", elem_id="regen-confirm"
        )
        regen = gr.Button("重新生成示例 / Regenerate the sample", elem_id="regenerate")
    regen_out = gr.Markdown(elem_id="regen-report")

    def on_regen(customers: float, s: float, sure: bool, request: gr.Request) -> tuple[str, str, bool]:
        from assistant.warehouse.db import mark_source, replace_warehouse, source_of, write_lock
        from assistant.warehouse.generate import GenerateOptions, generate

        try:
            c = web.caller(request)
        except AssistantError as exc:
            return f"{exc.zh}\n\n{exc.en}", "", False
        no = refuse(c, "重新生成数据", "regenerate the data")
        if no:
            web.audit.write("regenerate_refused", c.who.name, reason="role")
            return no, warehouse_md(web, request), False
        if not sure:
            return (
                "**请先勾选确认框:这会替换当前数据。 / Tick the confirmation first: this replaces the current data.**",
                warehouse_md(web, request),
                False,
            )
        db = web.sessions.db
        if source_of(db) == "imported":
            web.audit.write("regenerate_refused", c.who.name, reason="imported data")
            return (
                "**当前数据仓库含有导入的数据,网页上不能用示例替换;如确需替换,请在命令行运行 "
                "`python -m assistant data generate --force`。 / The warehouse holds imported data and cannot be "
                "replaced with the sample from the page; if you really mean it, run "
                "`python -m assistant data generate --force`.**",
                warehouse_md(web, request),
                False,
            )
        work = db.with_name(db.name + ".regenerating")
        try:
            with write_lock(db):
                counts = generate(work, GenerateOptions(customers=int(customers), seed=int(s)))
                replace_warehouse(work, db)
                mark_source(db, "sample", c.who.name)
        except AssistantError as exc:
            return f"**{hide_paths(exc.zh)}**\n\n**{hide_paths(exc.en)}**", warehouse_md(web, request), False
        finally:
            work.unlink(missing_ok=True)
        web.audit.write("regenerate", c.who.name, customers=int(customers), seed=int(s), rows=counts)
        msg = f"已生成 / generated: {counts}\n\n原数据已备份 / the previous data is kept as a backup."
        return msg, warehouse_md(web, request), False

    regen.click(on_regen, [n, seed, confirm], [regen_out, info, confirm], api_visibility="private")
    return import_box, regen_box


def manager_controls(web: Web, request: Any) -> tuple[Any, Any]:
    """Managers see the import and regenerate controls; the server refuses everyone else anyway."""
    try:
        show = web.caller(request).who.role == "manager"
    except AssistantError:
        show = False
    return gr.update(visible=show), gr.update(visible=show)
