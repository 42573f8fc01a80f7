"""What an import takes (options) and gives back (the report); both plain pydantic models the UI can show."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.errors import InputError


class ImportOptions(BaseModel):
    """How to read and where to put the files. 导入选项。"""

    table: str | None = Field(None, description="目标表(不填则按文件名/列名推断) / target table; guessed when empty")
    preset: Literal["transactions"] | None = Field(None, description="预设布局 / preset layout")
    mapping: dict[str, str] = Field(default_factory=dict, description="源列=目标列 / source column → target column")
    mode: Literal["replace", "append"] = Field("replace", description="替换所导入的表或追加 / replace or append")
    date_order: Literal["dmy", "mdy", "ymd"] | None = Field(
        None, description="05/01/2024 这类日期的顺序 / order of day and month in 05/01/2024-style dates"
    )
    max_reject_rate: float = Field(0.01, ge=0.0, le=1.0, description="拒收行比例上限 / abort above this share")
    rejects_path: Path | None = Field(None, description="拒收行文件 / where rejected rows are written")
    memory_limit: str = Field("2GB", description="DuckDB memory limit during the import")


class Message(BaseModel):
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


class SourceReport(BaseModel):
    """One file or sheet: how it was read and which columns went where."""

    source: str
    table: str
    encoding: str
    delimiter: str | None
    rows: int
    mapping: dict[str, str]  # source header → target column
    ignored: list[str]
    defaults: dict[str, str]  # target column filled with a default because the file has no such column


class TableReport(BaseModel):
    table: str
    read: int = 0
    imported: int = 0
    rejected: int = 0


class ImportReport(BaseModel):
    db: str
    mode: str
    ok: bool = True
    sources: list[SourceReport] = Field(default_factory=list)
    tables: dict[str, TableReport] = Field(default_factory=dict)
    rows_read: int = 0
    rows_rejected: int = 0
    lines_without_customer: int = 0
    date_range: tuple[str, str] | None = None
    customers: int = 0
    revenue: Decimal = Decimal(0)
    rejects_path: str | None = None
    first_rejects: list[Message] = Field(default_factory=list)
    warnings: list[Message] = Field(default_factory=list)

    def render(self, lang: str = "zh") -> str:
        zh = lang.startswith("zh")
        out: list[str] = []
        for s in self.sources:
            pairs = ", ".join(f"{k} → {v}" for k, v in s.mapping.items())
            out.append(
                f"{s.source} → {s.table} [{s.encoding}{', ' + repr(s.delimiter) if s.delimiter else ''}] {s.rows} "
                + ("行" if zh else "rows")
            )
            out.append(("  列映射: " if zh else "  mapping: ") + pairs)
            if s.defaults:
                d = ", ".join(f"{k}={v}" for k, v in s.defaults.items())
                out.append(("  缺列取默认值: " if zh else "  defaults for missing columns: ") + d)
            if s.ignored:
                out.append(("  未使用的列: " if zh else "  columns not used: ") + ", ".join(s.ignored))
        head = ("表", "读取", "导入", "拒收") if zh else ("table", "read", "imported", "rejected")
        out.append(f"{head[0]:<16}{head[1]:>12}{head[2]:>12}{head[3]:>10}")
        for t in self.tables.values():
            out.append(f"{t.table:<16}{t.read:>12,}{t.imported:>12,}{t.rejected:>10,}")
        if self.lines_without_customer:
            out.append(
                f"无客户编号的明细行(不计入客户分析): {self.lines_without_customer:,}"
                if zh
                else f"lines without a customer id (kept out of customer analysis): {self.lines_without_customer:,}"
            )
        if self.date_range:
            out.append(("订单日期: " if zh else "order dates: ") + f"{self.date_range[0]} → {self.date_range[1]}")
        out.append(("客户数: " if zh else "customers: ") + f"{self.customers:,}")
        out.append(("销售额(completed 订单): " if zh else "revenue (completed orders): ") + f"{self.revenue:,.2f}")
        for w in self.warnings:
            out.append("! " + w.text(lang))
        if self.rejects_path:
            out.append(("拒收行已写入: " if zh else "rejected rows written to: ") + self.rejects_path)
        for m in self.first_rejects:
            out.append("  - " + m.text(lang))
        return "\n".join(out)


class ImportFailed(InputError):
    """The import was refused; the warehouse is unchanged. ``report`` says what was found."""

    def __init__(self, zh: str, en: str, report: ImportReport | None = None, **details: object) -> None:
        super().__init__(zh, en, **details)
        self.report = report
