"""Cross-sell and up-sell: categories bought together, and what a customer's peers buy.

Methodology: "what customers buy" (one of the six aspects of customer analysis:
交叉销售 / 向上销售). A basket is a customer: over completed orders in the period
(all history up to as_of unless a period is given), with n = customers who
bought anything and n(X) = customers who bought category X:

- support(A, B) = n(A and B) / n; confidence(A → B) = n(A and B) / n(A);
  lift(A, B) = support(A, B) / (support(A) · support(B)) (> 1: bought together
  more often than chance).
- For one customer (``view="customer"``): its peers are the other customers in
  scope with the same industry and size; categories it has not bought are ranked
  by the share of peers who bought them.
- Up-sell (``view="upsell"``): in each category the customer already buys,
  products whose list price is above the highest list price it has bought there,
  cheapest first.

Thresholds and the peer attributes live in ``tools/tables/cross_sell.yaml``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from assistant.core.errors import InputError
from tools.base import Chart, CommonFilters, Con, Definition, Scope, ToolResult, Trace, register, resolve_scope
from tools.tables import load

TABLE = load("cross_sell")
TH = TABLE["thresholds"]
PEER_ATTRS: list[str] = TABLE["peer_attributes"]
VIEWS = ("pairs", "customer", "upsell")


class CrossSellArgs(CommonFilters):
    """交叉销售参数 / cross-sell parameters."""

    view: Literal["pairs", "customer", "upsell"] = Field(
        "pairs",
        description="视图:pairs 常被一起购买的类别组合,customer 某客户的同类客户推荐,upsell 向上销售 / view: category pairs, peer-based recommendations for one customer, or up-sell",
    )
    customer_id: str | None = Field(
        None, description="customer/upsell 视图的客户编号 / customer id for the customer and upsell views"
    )
    min_support: float | None = Field(
        None,
        description=f"最小支持度,默认 {TH['min_support']['value']} / minimum support, default {TH['min_support']['value']}",
    )
    limit: int | None = Field(
        None, description=f"最多行数,默认 {TH['limit']['value']} / most rows, default {TH['limit']['value']}"
    )
    per_category: int | None = Field(
        None,
        description=f"向上销售每类最多产品数,默认 {TH['per_category']['value']} / most up-sell products per category, default {TH['per_category']['value']}",
    )

    @field_validator("view", mode="before")
    @classmethod
    def _view(cls, v: object) -> object:
        if v not in VIEWS:
            raise InputError(
                f"view 只能是 {'、'.join(VIEWS)} 之一,收到 {v!r}。",
                f"view must be one of {', '.join(VIEWS)}; got {v!r}.",
            )
        return v


def _result(args: CrossSellArgs, scope: Scope, tr: Trace, **kw: Any) -> ToolResult:
    return ToolResult(
        as_of=scope.as_of,
        sql=tr.sql,
        **kw,
    )


@register(
    "cross_sell",
    "交叉销售:常被同一客户一起购买的类别(支持度、置信度、提升度);某客户的同类客户买了而它没买的类别;向上销售的更高价产品",
    "Cross-sell: category pairs bought by the same customers (support, confidence, lift); categories a customer's peers buy that it does not; higher-priced up-sell products",
    CrossSellArgs,
    examples=(
        "哪些产品类别经常被一起购买?",
        "What could we cross-sell to customer C00012?",
        "给客户 C00012 推荐更高端的产品",
    ),
)
def cross_sell(con: Con, args: CrossSellArgs) -> ToolResult:
    min_support = TH["min_support"]["value"] if args.min_support is None else args.min_support
    limit = TH["limit"]["value"] if args.limit is None else args.limit
    per_cat = TH["per_category"]["value"] if args.per_category is None else args.per_category
    if not 0 <= min_support <= 1:
        raise InputError(
            f"min_support 必须在 0 到 1 之间,收到 {min_support}。",
            f"min_support must be between 0 and 1, got {min_support}.",
        )
    if limit < 1 or per_cat < 1:
        raise InputError(
            f"limit 与 per_category 至少为 1,收到 {limit}、{per_cat}。",
            f"limit and per_category must be at least 1, got {limit} and {per_cat}.",
        )
    scope = resolve_scope(con, args)
    tr = Trace(con)
    if args.view == "pairs":
        return _pairs(args, scope, tr, min_support, limit)
    if not args.customer_id:
        raise InputError(
            f"{args.view} 视图需要 customer_id(客户编号)。", f"The {args.view} view needs customer_id (a customer id)."
        )
    found = tr.scalar(
        f"WITH {scope.ctes()} SELECT count(*) FROM f_customers WHERE customer_id = $cid",
        {**scope.params, "cid": args.customer_id},
    )
    if not found:
        raise InputError(
            f"找不到客户 {args.customer_id},或它不在当前筛选范围内;请检查客户编号或放宽筛选条件。",
            f"Customer {args.customer_id} not found, or outside the current filters; check the id or relax the filters.",
        )
    if args.view == "customer":
        return _peers(args, scope, tr, limit)
    return _upsell(args, scope, tr, limit, per_cat)


# Each customer's basket as a bit set of category indexes: baskets with the same set are counted
# once, so pairs come from a few hundred sets rather than a self-join of millions of rows.
PAIRS_BY_BITS = """cats AS (
    SELECT cat, (row_number() OVER (ORDER BY cat) - 1)::INTEGER AS idx
    FROM (SELECT DISTINCT coalesce(category, '(未知)') AS cat FROM products UNION SELECT '(未知)')
),
sets AS (
    SELECT m, count(*) AS w FROM (
        SELECT l.customer_id, bit_or((1::UBIGINT) << c.idx) AS m
        FROM f_lines l JOIN cats c ON c.cat = coalesce(l.category, '(未知)')
        WHERE l.status = 'completed'
        GROUP BY l.customer_id
    ) GROUP BY m
),
n AS (SELECT sum(w) AS n FROM sets),
single AS (SELECT c.cat, sum(s.w) AS cnt FROM cats c JOIN sets s ON (s.m >> c.idx) & 1 = 1 GROUP BY c.cat),
pairs AS (
    SELECT a.cat AS a, b.cat AS b, sum(s.w) AS both_count
    FROM cats a JOIN cats b ON a.cat < b.cat
    JOIN sets s ON (s.m >> a.idx) & 1 = 1 AND (s.m >> b.idx) & 1 = 1
    GROUP BY a.cat, b.cat
)"""
MAX_BIT_CATEGORIES = 64
# More categories than bits in a UBIGINT: one row per (customer, category) and a self-join.
PAIRS_BY_ROWS = """cc AS MATERIALIZED (
    SELECT DISTINCT customer_id, coalesce(category, '(未知)') AS cat FROM f_lines WHERE status = 'completed'
),
n AS (SELECT count(DISTINCT customer_id) AS n FROM cc),
single AS (SELECT cat, count(*) AS cnt FROM cc GROUP BY cat),
pairs AS (
    SELECT a.cat AS a, b.cat AS b, count(*) AS both_count
    FROM cc a JOIN cc b ON a.customer_id = b.customer_id AND a.cat < b.cat
    GROUP BY a.cat, b.cat
)"""


def _pairs(args: CrossSellArgs, scope: Scope, tr: Trace, min_support: float, limit: int) -> ToolResult:
    params = {**scope.params, "min_support": min_support, "lim": limit}
    n_cats = tr.scalar("SELECT count(DISTINCT category) + 1 FROM products")
    core = PAIRS_BY_BITS if n_cats <= MAX_BIT_CATEGORIES else PAIRS_BY_ROWS
    sql = f"""
WITH {scope.ctes()},
{core},
m AS (
    SELECT p.a AS category_a, p.b AS category_b, p.both_count AS customers_both,
           p.both_count::DOUBLE / n.n AS support,
           p.both_count::DOUBLE / sa.cnt AS confidence_a_to_b,
           p.both_count::DOUBLE / sb.cnt AS confidence_b_to_a,
           p.both_count::DOUBLE * n.n / (sa.cnt * sb.cnt) AS lift
    FROM pairs p JOIN single sa ON sa.cat = p.a JOIN single sb ON sb.cat = p.b CROSS JOIN n
)
SELECT *, count(*) OVER () AS n_pairs, (SELECT n FROM n) AS buyers
FROM m WHERE support >= $min_support
ORDER BY lift DESC, support DESC, category_a, category_b
LIMIT $lim"""
    cols, raw = tr.query(sql, params)
    figures: dict[str, Any] = {
        "pairs": raw[0][-2] if raw else 0,
        "listed": len(raw),
        "buyers": raw[0][-1] if raw else 0,
    }
    if raw:
        figures["top_pair"] = [raw[0][0], raw[0][1]]
        figures["top_lift"] = raw[0][6]
    return _result(
        args,
        scope,
        tr,
        figures=figures,
        columns=cols[:-2],
        rows=[r[:-2] for r in raw],
        definitions=[
            Definition(
                name="basket",
                zh="以客户为篮子:期间内同一客户(已完成订单)买过的类别集合",
                en="A basket is a customer: the set of categories it bought (completed orders) in the period",
            ),
            Definition(
                name="support",
                zh="支持度 = 同时买过两类的客户数 / 有购买的客户数",
                en="support = customers who bought both / customers who bought anything",
                value={"min_support": min_support},
            ),
            Definition(
                name="confidence",
                zh="置信度(A→B)= 同时买过 A 和 B 的客户数 / 买过 A 的客户数",
                en="confidence(A → B) = customers who bought A and B / customers who bought A",
            ),
            Definition(
                name="lift",
                zh="提升度 = 支持度(A,B) / (支持度(A) × 支持度(B));大于 1 表示比随机更常一起购买",
                en="lift = support(A, B) / (support(A) × support(B)); above 1 means bought together more than chance",
            ),
        ],
        chart=Chart(
            kind="bar", x="category_a", y="lift", color="category_b", title_zh="类别关联", title_en="Category affinity"
        ),
        notes=[] if raw else ["没有满足支持度的类别组合 / no category pair reaches the minimum support"],
    )


def _peers(args: CrossSellArgs, scope: Scope, tr: Trace, limit: int) -> ToolResult:
    same = " AND ".join(f"c.{a} IS NOT DISTINCT FROM t.{a}" for a in PEER_ATTRS)
    params = {**scope.params, "cid": args.customer_id, "lim": limit}
    sql = f"""
WITH {scope.ctes()},
t AS (SELECT * FROM f_customers WHERE customer_id = $cid),
peers AS (SELECT c.customer_id FROM f_customers c, t WHERE {same} AND c.customer_id <> t.customer_id),
np AS (SELECT count(*) AS n FROM peers),
own AS (SELECT DISTINCT coalesce(category, '(未知)') AS cat FROM f_lines WHERE status = 'completed' AND customer_id = $cid),
pc AS (
    SELECT coalesce(l.category, '(未知)') AS category, count(DISTINCT l.customer_id) AS peers_buying,
           sum(l.amount)::DOUBLE AS peer_revenue
    FROM f_lines l JOIN peers p ON p.customer_id = l.customer_id
    WHERE l.status = 'completed'
    GROUP BY 1
)
SELECT pc.category, pc.peers_buying, pc.peers_buying::DOUBLE / np.n AS peer_share,
       pc.peer_revenue / pc.peers_buying AS revenue_per_buying_peer, np.n AS peers
FROM pc CROSS JOIN np
WHERE pc.category NOT IN (SELECT cat FROM own)
ORDER BY peer_share DESC, pc.category
LIMIT $lim"""
    cols, raw = tr.query(sql, params)
    peers_sql = (
        f"WITH {scope.ctes()}, t AS (SELECT * FROM f_customers WHERE customer_id = $cid) "
        f"SELECT count(*) FROM f_customers c, t WHERE {same} AND c.customer_id <> t.customer_id"
    )
    n_peers = tr.scalar(peers_sql, params)
    return _result(
        args,
        scope,
        tr,
        figures={"customer_id": args.customer_id, "peers": n_peers, "recommendations": len(raw)},
        columns=cols[:-1],
        rows=[r[:-1] for r in raw],
        definitions=[
            Definition(
                name="peers",
                zh="同类客户:筛选范围内与该客户" + "、".join(PEER_ATTRS) + " 都相同的其他客户",
                en="peers: other customers in scope with the same " + " and ".join(PEER_ATTRS),
                value=PEER_ATTRS,
            ),
            Definition(
                name="peer_share",
                zh="推荐度 = 买过该类别的同类客户数 / 同类客户数;只列该客户期间内未买过的类别",
                en="peer share = peers who bought the category / peers; only categories the customer has not bought in the period",
            ),
        ],
        chart=Chart(
            kind="bar", x="category", y="peer_share", title_zh="同类客户推荐", title_en="Peer-based recommendations"
        ),
        notes=[] if raw else ["没有可推荐的类别(无同类客户或同类客户没买过其他类别) / nothing to recommend"],
    )


def _upsell(args: CrossSellArgs, scope: Scope, tr: Trace, limit: int, per_cat: int) -> ToolResult:
    params = {**scope.params, "cid": args.customer_id, "lim": limit, "per_cat": per_cat}
    sql = f"""
WITH {scope.ctes()},
own AS (
    SELECT l.category, max(p.unit_price) AS highest_bought_price
    FROM f_lines l JOIN products p ON p.product_id = l.product_id
    WHERE l.status = 'completed' AND l.customer_id = $cid AND l.category IS NOT NULL
    GROUP BY l.category
),
cand AS (
    SELECT p.category, p.product_id, p.name, p.unit_price, own.highest_bought_price,
           row_number() OVER (PARTITION BY p.category ORDER BY p.unit_price, p.product_id) AS rn
    FROM products p
    JOIN own ON own.category = p.category
    WHERE p.unit_price > own.highest_bought_price
),
top AS (SELECT * FROM cand WHERE rn <= $per_cat)
SELECT category, product_id, name, unit_price, highest_bought_price
FROM top
ORDER BY category, unit_price, product_id
LIMIT $lim"""
    cols, raw = tr.query(sql, params)
    return _result(
        args,
        scope,
        tr,
        figures={"customer_id": args.customer_id, "suggestions": len(raw)},
        columns=cols,
        rows=raw,
        definitions=[
            Definition(
                name="upsell",
                zh=f"向上销售:该客户已购类别中,标准单价高于它在该类别买过的最高标准单价的产品,每类按价格从低到高最多 {per_cat} 个",
                en=f"up-sell: in each category the customer buys, products listed above the highest list price it bought there, cheapest first, at most {per_cat} per category",
                value={"per_category": per_cat},
            )
        ],
        chart=Chart(kind="table", x="product_id", y="unit_price"),
        notes=[] if raw else ["没有更高价的同类产品可推荐 / no higher-priced product in its categories"],
    )
