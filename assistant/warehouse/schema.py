"""The warehouse contract: every table and column, as data.

This table is the single source of truth for the DDL the generator and the
importer create, for the contract tests, and for ``docs/data.md`` (rendered by
``python -m assistant data docs`` and checked for drift by the test suite).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type
    zh: str
    en: str
    nullable: bool = False
    references: str | None = None  # "table.column"
    allowed: tuple[str, ...] = ()
    check: str | None = None  # SQL boolean expression over this row


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    checks: tuple[str, ...] = field(default=())
    # False: the key is unique by the writers' checks (the importer groups and numbers; the generator numbers),
    # with no PRIMARY KEY index. For order lines, the largest table: at 10M lines the index was three quarters of
    # the file and ~4 s of an import, and nothing looks lines up by key.
    key_index: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


ORDER_STATUSES = ("completed", "returned", "cancelled")
TICKET_KINDS = ("complaint", "inquiry", "suggestion")
TICKET_STATUSES = ("open", "resolved")

C = Column

TABLES: tuple[Table, ...] = (
    Table(
        "sales_reps",
        "销售代表",
        "Sales representatives",
        (
            C("rep_id", "VARCHAR", "销售代表编号", "Sales rep id"),
            C("name", "VARCHAR", "姓名", "Full name"),
            C("region", "VARCHAR", "负责大区", "Region the rep covers"),
            C("team", "VARCHAR", "所属团队", "Team"),
            C("hire_date", "DATE", "入职日期", "Hire date"),
        ),
        ("rep_id",),
    ),
    Table(
        "customers",
        "客户",
        "Customers",
        (
            C("customer_id", "VARCHAR", "客户编号", "Customer id"),
            C("name", "VARCHAR", "客户名称", "Customer name (company or person)"),
            C("region", "VARCHAR", "大区", "Region (华东, 华北, …)"),
            C("city", "VARCHAR", "城市", "City"),
            C("industry", "VARCHAR", "行业", "Industry"),
            C("size", "VARCHAR", "规模", "Company size (个人 for consumers)"),
            C("acquisition_channel", "VARCHAR", "获客渠道", "Channel that acquired the customer"),
            C("signup_date", "DATE", "签约/注册日期", "Date the customer signed up"),
            C("rep_id", "VARCHAR", "负责销售", "Assigned sales rep", nullable=True, references="sales_reps.rep_id"),
            C(
                "credit_limit",
                "DECIMAL(18,2)",
                "信用额度(元)",
                "Credit limit (CNY)",
                nullable=True,
                check="credit_limit >= 0",
            ),
        ),
        ("customer_id",),
    ),
    Table(
        "products",
        "产品",
        "Products",
        (
            C("product_id", "VARCHAR", "产品编号", "Product id"),
            C("name", "VARCHAR", "产品名称", "Product name"),
            C("category", "VARCHAR", "产品类别", "Product category"),
            C("unit_price", "DECIMAL(18,2)", "标准单价(元)", "List price (CNY)", check="unit_price >= 0"),
            C("unit_cost", "DECIMAL(18,2)", "单位成本(元)", "Unit cost (CNY)", nullable=True, check="unit_cost >= 0"),
            C("launch_date", "DATE", "上市日期", "Launch date", nullable=True),
        ),
        ("product_id",),
    ),
    Table(
        "orders",
        "订单",
        "Orders",
        (
            C("order_id", "VARCHAR", "订单编号", "Order id"),
            C("customer_id", "VARCHAR", "客户编号", "Customer id", references="customers.customer_id"),
            C("order_date", "DATE", "下单日期", "Order date"),
            C("channel", "VARCHAR", "销售渠道", "Sales channel"),
            C("status", "VARCHAR", "订单状态", "Order status", allowed=ORDER_STATUSES),
            C(
                "rep_id",
                "VARCHAR",
                "经办销售",
                "Rep who handled the order",
                nullable=True,
                references="sales_reps.rep_id",
            ),
        ),
        ("order_id",),
    ),
    Table(
        "order_items",
        "订单明细",
        "Order lines",
        (
            C("order_id", "VARCHAR", "订单编号", "Order id", references="orders.order_id"),
            C("line_no", "INTEGER", "行号", "Line number within the order"),
            C("product_id", "VARCHAR", "产品编号", "Product id", references="products.product_id"),
            C("quantity", "INTEGER", "数量", "Quantity", check="quantity > 0"),
            C("unit_price", "DECIMAL(18,2)", "成交单价(元)", "Unit price charged (CNY)", check="unit_price >= 0"),
            C("discount", "DECIMAL(5,4)", "折扣率", "Discount rate, 0–1", check="discount >= 0 AND discount < 1"),
            C("amount", "DECIMAL(18,2)", "金额(元)", "Line amount = quantity × unit_price × (1 − discount)"),
        ),
        ("order_id", "line_no"),
        key_index=False,
    ),
    Table(
        "invoices",
        "发票/应收",
        "Invoices (receivables)",
        (
            C("invoice_id", "VARCHAR", "发票编号", "Invoice id"),
            C("order_id", "VARCHAR", "订单编号", "Order id", references="orders.order_id"),
            C("customer_id", "VARCHAR", "客户编号", "Customer id", references="customers.customer_id"),
            C("issue_date", "DATE", "开票日期", "Issue date"),
            C("due_date", "DATE", "到期日", "Due date", check="due_date >= issue_date"),
            C(
                "paid_date",
                "DATE",
                "付款日期",
                "Date paid; null while unpaid",
                nullable=True,
                check="paid_date >= issue_date",
            ),
            C("amount", "DECIMAL(18,2)", "金额(元)", "Invoice amount (CNY)", check="amount >= 0"),
        ),
        ("invoice_id",),
    ),
    Table(
        "surveys",
        "满意度调查",
        "Satisfaction surveys",
        (
            C("survey_id", "VARCHAR", "问卷编号", "Survey response id"),
            C("customer_id", "VARCHAR", "客户编号", "Customer id", references="customers.customer_id"),
            C("survey_date", "DATE", "调查日期", "Response date"),
            C(
                "nps",
                "INTEGER",
                "推荐意愿(0–10)",
                "Likelihood to recommend, 0–10",
                nullable=True,
                check="nps BETWEEN 0 AND 10",
            ),
            C("csat", "INTEGER", "满意度(1–5)", "Satisfaction, 1–5", nullable=True, check="csat BETWEEN 1 AND 5"),
            C(
                "ces",
                "INTEGER",
                "费力度(1–7)",
                "Customer effort, 1–7 (lower is easier)",
                nullable=True,
                check="ces BETWEEN 1 AND 7",
            ),
            C("comment", "VARCHAR", "评语", "Free-text comment", nullable=True),
        ),
        ("survey_id",),
    ),
    Table(
        "tickets",
        "客诉与咨询工单",
        "Tickets: complaints, inquiries, suggestions",
        (
            C("ticket_id", "VARCHAR", "工单编号", "Ticket id"),
            C("customer_id", "VARCHAR", "客户编号", "Customer id", references="customers.customer_id"),
            C("created_at", "TIMESTAMP", "创建时间", "Created at"),
            C(
                "resolved_at",
                "TIMESTAMP",
                "解决时间",
                "Resolved at; null while open",
                nullable=True,
                check="resolved_at >= created_at",
            ),
            C("kind", "VARCHAR", "类型", "complaint, inquiry or suggestion", allowed=TICKET_KINDS),
            C("category", "VARCHAR", "问题类别", "Issue category"),
            C(
                "product_id",
                "VARCHAR",
                "相关产品",
                "Product concerned",
                nullable=True,
                references="products.product_id",
            ),
            C("channel", "VARCHAR", "受理渠道", "Channel the ticket came in by"),
            C("department", "VARCHAR", "处理部门", "Department handling it"),
            C("owner_rep_id", "VARCHAR", "负责人", "Rep who owns it", nullable=True, references="sales_reps.rep_id"),
            C("status", "VARCHAR", "状态", "open or resolved", allowed=TICKET_STATUSES),
        ),
        ("ticket_id",),
        checks=("(status = 'open') = (resolved_at IS NULL)",),
    ),
    Table(
        "interactions",
        "客户接触记录",
        "Customer contacts",
        (
            C("interaction_id", "VARCHAR", "接触编号", "Contact id"),
            C("customer_id", "VARCHAR", "客户编号", "Customer id", references="customers.customer_id"),
            C("happened_at", "TIMESTAMP", "发生时间", "When it happened"),
            C("department", "VARCHAR", "接触部门", "Department that made the contact"),
            C("channel", "VARCHAR", "接触方式", "Contact channel"),
            C("rep_id", "VARCHAR", "经办人", "Rep involved", nullable=True, references="sales_reps.rep_id"),
            C("purpose", "VARCHAR", "目的", "Purpose of the contact"),
        ),
        ("interaction_id",),
    ),
    Table(
        "marketing_spend",
        "营销投入",
        "Marketing spend",
        (
            C("month", "DATE", "月份(当月1日)", "Month (first day)"),
            C("channel", "VARCHAR", "获客渠道", "Acquisition channel"),
            C("amount", "DECIMAL(18,2)", "投入金额(元)", "Amount spent (CNY)", check="amount >= 0"),
        ),
        ("month", "channel"),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# One row, as_of: set where a connection holds only part of the warehouse (a salesperson's copy,
# warehouse.access), so "this year" means the same for everyone.
REFERENCE_TABLE = "assistant_reference"

# Definitions built on the tables; quoted by docs/data.md and by the tools.
DEFINITIONS: dict[str, tuple[str, str, str]] = {
    # name: (zh, en, SQL)
    "revenue": (
        "销售额:状态为 completed 的订单明细金额之和",
        "Revenue: sum of order_items.amount over orders with status 'completed'",
        "SUM(oi.amount) FILTER (WHERE o.status = 'completed')",
    ),
    "gross_profit": (
        "毛利:销售额减去数量×产品单位成本",
        "Gross profit: revenue minus quantity × products.unit_cost, completed orders only",
        "SUM(oi.amount - oi.quantity * p.unit_cost) FILTER (WHERE o.status = 'completed')",
    ),
    "active_customer": (
        "活跃客户:期间内至少有一笔 completed 订单的客户",
        "Active customer: has at least one completed order in the period",
        "COUNT(DISTINCT o.customer_id) FILTER (WHERE o.status = 'completed')",
    ),
    "new_customer": (
        "新客户:首笔 completed 订单落在期间内的客户",
        "New customer: first completed order falls in the period",
        "MIN(o.order_date) FILTER (WHERE o.status = 'completed') BETWEEN :start AND :end",
    ),
    "overdue_invoice": (
        "逾期发票:到期日已过且未付款,或付款日晚于到期日",
        "Overdue invoice: past due and unpaid, or paid after the due date",
        "(paid_date IS NULL AND due_date < :as_of) OR paid_date > due_date",
    ),
}


def ddl(table: Table, *, name: str | None = None, constraints: bool = True, primary_key: bool = True) -> str:
    """CREATE TABLE statement for a contract table.

    ``primary_key=False`` leaves out the key alone (a bulk load adds it after its rows: ``add_primary_key``); a
    table with ``key_index=False`` never gets one.

    >>> ddl(TABLES_BY_NAME["marketing_spend"]).splitlines()[0]
    'CREATE TABLE marketing_spend ('
    """
    parts: list[str] = []
    for c in table.columns:
        col = f"  {c.name} {c.type}"
        if constraints and not c.nullable:
            col += " NOT NULL"
        if constraints and c.allowed:
            vals = ", ".join(f"'{v}'" for v in c.allowed)
            col += f" CHECK ({c.name} IN ({vals}))"
        if constraints and c.check:
            col += f" CHECK ({c.check})"
        parts.append(col)
    if constraints:
        if primary_key and table.key_index:
            parts.append(f"  PRIMARY KEY ({', '.join(table.primary_key)})")
        parts.extend(f"  CHECK ({chk})" for chk in table.checks)
    return f"CREATE TABLE {name or table.name} (\n" + ",\n".join(parts) + "\n)"


def add_primary_key(table: Table, *, name: str | None = None) -> str:
    """The contract's primary key added to a table created by ``ddl(..., primary_key=False)``, once its rows are in.

    The same constraint as ``ddl``'s (duplicates and later inserts of a taken key are refused); built over the
    loaded rows it costs a fraction of inserting them into a keyed table (order_items at 2M rows: 3.2 s against
    9.0 s, commit included). In a transaction the index is built at COMMIT, which fails on a duplicate.
    """
    return f"ALTER TABLE {name or table.name} ADD PRIMARY KEY ({', '.join(table.primary_key)})"


def foreign_keys() -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) for every reference."""
    out = []
    for t in TABLES:
        for c in t.columns:
            if c.references:
                rt, rc = c.references.split(".")
                out.append((t.name, c.name, rt, rc))
    return out
