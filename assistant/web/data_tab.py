"""The data tab: import files through the validated import path, regenerate the sample."""

from __future__ import annotations

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.web.data_summary import warehouse_md
from assistant.web.sessions import Sessions

TARGETS = ["自动 / auto", "transactions (交易流水预设 / transaction log preset)"]


def data_tab(sessions: Sessions, info: gr.Markdown) -> None:
    from assistant.warehouse.schema import TABLES

    gr.Markdown(
        "### 导入数据 / Import data\nCSV(UTF-8/GBK)、Excel、Parquet;导入前全部校验,失败则数据不变。 / Everything is validated first; a failed import changes nothing."
    )
    files = gr.File(
        label="文件 / files",
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
    rejects = gr.File(label="被拒收的行 / rejected rows", interactive=False)

    def on_import(
        paths: list[str] | None, tgt: str, md: str, order: str, request: gr.Request
    ) -> tuple[str, str | None, str]:
        from assistant.warehouse.importer import ImportOptions, import_files

        who = sessions.principal(getattr(request, "username", None))
        if not who.sees_everything:
            return "只有经理可以导入数据。 / Only managers can import data.", None, warehouse_md(sessions, request)
        if not paths:
            return "请先选择文件。 / Choose files first.", None, warehouse_md(sessions, request)
        opts = ImportOptions(
            preset="transactions" if tgt.startswith("transactions") else None,
            table=None if tgt.startswith(("自动", "transactions")) else tgt,
            mode=md,  # type: ignore[arg-type]
            date_order=order or None,  # type: ignore[arg-type]
        )
        sessions.close_all()  # the import needs the file to itself
        try:
            rep = import_files(paths, opts, db=sessions.db)
        except AssistantError as exc:
            report = getattr(exc, "report", None)  # ImportFailed carries what was found, with the rejects file
            bad = report.rejects_path if report is not None else None
            return (
                f"**导入失败,数据未改变 / Import failed, nothing changed**\n\n{exc.zh}\n\n{exc.en}",
                bad,
                warehouse_md(sessions, request),
            )  # type: ignore[return-value]
        text = rep.render("zh") + "\n\n---\n\n" + rep.render("en")
        return f"```\n{text}\n```", rep.rejects_path, warehouse_md(sessions, request)

    run.click(on_import, [files, target, mode, date_order], [report, rejects, info], api_visibility="private")

    gr.Markdown("### 示例数据 / Sample data")
    with gr.Row():
        n = gr.Number(2000, label="客户数 / customers", precision=0, minimum=10, maximum=200_000)
        seed = gr.Number(42, label="随机种子 / seed", precision=0)
        regen = gr.Button("重新生成示例 / Regenerate the sample", elem_id="regenerate")
    regen_out = gr.Markdown()

    def on_regen(customers: float, s: float, request: gr.Request) -> tuple[str, str]:
        from assistant.warehouse.generate import GenerateOptions, generate

        who = sessions.principal(getattr(request, "username", None))
        if not who.sees_everything:
            return "只有经理可以重新生成数据。 / Only managers can regenerate the data.", warehouse_md(
                sessions, request
            )
        sessions.close_all()
        counts = generate(sessions.db, GenerateOptions(customers=int(customers), seed=int(s)))
        return f"已生成 / generated: {counts}", warehouse_md(sessions, request)

    regen.click(on_regen, [n, seed], [regen_out, info], api_visibility="private")
