"""Teaching mode: explanations at two levels, worked examples on the loaded data, exercises and marking.

Everything is deterministic: explanations quote our documents (with citations), worked examples
read the tools' own derivations, and exercises are generated from the tools' rule tables and the
data with a seed, each with exactly one correct option.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from assistant.core.errors import InputError
from assistant.report.explain import citation, section
from tools import load_all
from tools.tables import load as load_table


@cache
def curriculum() -> list[dict[str, Any]]:
    return yaml.safe_load(Path(__file__).with_name("curriculum.yaml").read_text(encoding="utf-8"))


def topic(topic_id: str) -> dict[str, Any]:
    for t in curriculum():
        if t["id"] == topic_id or t["doc"] == topic_id:
            return t
    ids = ", ".join(t["id"] for t in curriculum())
    raise InputError(f"没有主题 {topic_id!r};可选:{ids}", f"No topic {topic_id!r}; choose one of: {ids}")


def explain(topic_id: str, level: str = "brief", lang: str = "zh") -> tuple[str, list[str]]:
    """Markdown text and its citations. brief: the what-section; detailed: the curriculum's sections in full."""
    if level not in ("brief", "detailed"):
        raise InputError("level 只能是 brief 或 detailed。", "level must be brief or detailed.")
    t = topic(topic_id)
    anchors = ["what"] if level == "brief" else t["detailed"]
    parts, cites = [f"# {t[lang]}"], []
    for a in anchors:
        found = section(t["doc"], lang, a)
        if found is None:
            continue
        _title, heading, text, _src = found
        parts += ["", f"## {heading}", "", text.strip()]
        cites.append(citation(t["doc"], lang, a))
    parts += ["", ("出处:" if lang == "zh" else "Sources: ") + "; ".join(cites)]
    return "\n".join(parts), cites


# ---- worked examples ------------------------------------------------------------------------------
def rfm_walkthrough(
    con: duckdb.DuckDBPyConnection, customer_id: str, lang: str = "zh", **filters: Any
) -> tuple[str, Any]:
    """Step by step: raw R, F, M; ranks and quintile edges; scores; thresholds; the class, and why."""
    res = load_all()["rfm"].run(con, {**filters, "customer_ids": [customer_id], "by": "customer"})
    if not res.rows:
        raise InputError(
            f"客户 {customer_id} 在分析窗口内没有已完成订单,无法做 RFM。",
            f"Customer {customer_id} has no completed order in the window, so RFM does not apply.",
        )
    rec, fig, zh = res.records()[0], res.figures, lang == "zh"
    der = fig.get("derivation", {})
    thr = {"R": fig.get("r_threshold"), "F": fig.get("f_threshold"), "M": fig.get("m_threshold")}
    names = {
        "R": ("最近一次购买距今天数", "days since the last completed order"),
        "F": ("完成订单数", "completed orders"),
        "M": ("完成订单金额", "revenue from completed orders"),
    }
    lines = [f"# {'RFM 分类演示' if zh else 'RFM, step by step'}: {customer_id}", ""]
    lines.append(
        f"参考日 {res.as_of};参与评分的客户共 {fig.get('population')} 位。"
        if zh
        else f"Reference date {res.as_of}; {fig.get('population')} customers are scored."
    )
    lines += ["", "**第 1 步:原始值**" if zh else "**Step 1: raw values**"]
    for k in ("R", "F", "M"):
        d = der.get(k, {})
        lines.append(f"- {k}({names[k][0]})= {d.get('value')}" if zh else f"- {k} ({names[k][1]}) = {d.get('value')}")
    lines += ["", "**第 2 步:排名与五分位打分**" if zh else "**Step 2: rank and quintile score**"]
    for k in ("R", "F", "M"):
        d = der.get(k, {})
        edges = fig.get("score_edges", {}).get(k, {})
        band = edges.get(str(d.get("score")), {})
        lines.append(
            f"- {k}:排名 {d.get('rank')}/{d.get('n')},{_formula_zh(d.get('formula'))};{d.get('score')} 分档的取值范围 {band.get('min')}–{band.get('max')}"
            if zh
            else f"- {k}: rank {d.get('rank')} of {d.get('n')}, {d.get('formula')}; score {d.get('score')} covers {band.get('min')}–{band.get('max')}"
        )
    lines += ["", "**第 3 步:与阈值比较(高/低)**" if zh else "**Step 3: high or low against the thresholds**"]
    for k in ("R", "F", "M"):
        d = der.get(k, {})
        rule = (
            ("天数 ≤ 阈值为高" if k == "R" else "数值 ≥ 阈值为高")
            if zh
            else ("days ≤ threshold is high" if k == "R" else "value ≥ threshold is high")
        )
        hl = ("高" if d.get("high") else "低") if zh else ("high" if d.get("high") else "low")
        lines.append(
            f"- {k}:{d.get('value')},阈值 {thr[k]}({rule})→ {hl}"
            if zh
            else f"- {k}: {d.get('value')} vs threshold {thr[k]} ({rule}) → {hl}"
        )
    cls = rec.get("class_zh") if zh else rec.get("class_en")
    pattern = "/".join(_hl(rec.get(f"{k}_high"), lang) for k in "rfm")
    lines += ["", "**第 4 步:八类客户**" if zh else "**Step 4: the eight classes**"]
    lines.append(f"R/F/M 为 {pattern} → **{cls}**" if zh else f"R/F/M are {pattern} → **{cls}**")
    lines += [
        "",
        ("出处:" if zh else "Sources: ") + "; ".join(citation("rfm", lang, a) for a in ("scores", "eight-classes")),
    ]
    return "\n".join(lines), res


def _formula_zh(formula: Any) -> str:
    """The score formula in Chinese words: "1 + floor(5 × (r − 1) / n)" → "1 + 向下取整(5 × (r − 1) / n)"."""
    return str(formula).replace("floor", "向下取整")


def _hl(v: Any, lang: str) -> str:
    high = v is True or v == "high"
    return ("高" if high else "低") if lang == "zh" else ("high" if high else "low")


# ---- exercises ------------------------------------------------------------------------------------
@dataclass
class Exercise:
    id: str
    kind: str
    question: str
    options: list[str]
    answer: int  # index into options
    explanation: str
    citation: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


LETTERS = "ABCD"


def _options(rng: random.Random, correct: str, pool: list[str], k: int = 4) -> tuple[list[str], int]:
    others = sorted({p for p in pool if p != correct})
    chosen = [*rng.sample(others, min(k - 1, len(others))), correct]
    rng.shuffle(chosen)
    return chosen, chosen.index(correct)


def _q_rfm_class(rng: random.Random, lang: str, i: int) -> Exercise:
    classes = load_table("rfm")["classes8"]
    c = rng.choice(classes)
    zh = lang == "zh"
    hl = (lambda v: "高" if v == "high" else "低") if zh else (lambda v: v)
    name = "zh" if zh else "en"
    opts, ans = _options(rng, c[name], [x[name] for x in classes])
    q = (
        f"某客户 R {hl(c['r'])}、F {hl(c['f'])}、M {hl(c['m'])},在八类客户中属于哪一类?"
        if zh
        else f"A customer has R {c['r']}, F {c['f']}, M {c['m']}. Which of the eight classes is it?"
    )
    why = (
        f"八类客户由 R、F、M 的高低组合决定:{hl(c['r'])}/{hl(c['f'])}/{hl(c['m'])} 对应 {c[name]}。"
        if zh
        else f"The class is set by the high/low pattern of R, F, M: {c['r']}/{c['f']}/{c['m']} is {c[name]}."
    )
    return Exercise(f"rfm-{i}", "concept", q, opts, ans, why, citation("rfm", lang, "eight-classes"))


def _q_nps(rng: random.Random, lang: str, i: int) -> Exercise:
    n = rng.choice([20, 40, 50, 80, 100, 200])
    pro = rng.randint(n // 5, n // 2)
    det = rng.randint(n // 10, n - pro - 1)
    nps = round((pro - det) / n * 100, 1)
    # Distractors are the usual mistakes: promoters only, promoters + passives, a raw count, the wrong base.
    wrong = {
        round(pro / n * 100, 1),
        round((n - det) / n * 100, 1),
        float(pro - det),
        round((pro - det) / (pro + det) * 100, 1),
    }
    wrong.discard(nps)
    fmt = lambda v: f"{v:g}"  # noqa: E731
    opts, ans = _options(rng, fmt(nps), [fmt(w) for w in wrong] + [fmt(nps)])
    zh = lang == "zh"
    q = (
        f"{n} 份问卷中,推荐者(9–10 分){pro} 人,贬损者(0–6 分){det} 人,其余为中立者。NPS 是多少?"
        if zh
        else f"Of {n} responses, {pro} are promoters (9–10) and {det} detractors (0–6); the rest are passives. What is the NPS?"
    )
    why = (
        f"NPS = 推荐者% − 贬损者% = {pro}/{n} − {det}/{n} = {fmt(nps)}。"
        if zh
        else f"NPS = % promoters − % detractors = {pro}/{n} − {det}/{n} = {fmt(nps)}."
    )
    return Exercise(f"nps-{i}", "concept", q, opts, ans, why, citation("satisfaction", lang, "nps"))


def _q_customer_type(rng: random.Random, lang: str, i: int) -> Exercise:
    th = {k: v["value"] for k, v in load_table("customer_types")["thresholds"].items()}
    types = {t["key"]: t for t in load_table("customer_types")["types"]}
    zh, name = lang == "zh", ("zh" if lang == "zh" else "en")
    case = rng.choice(["lost", "loyal", "potential_new", "marginal"])
    if case == "lost":
        days = th["lost_after_days"] + rng.randint(10, 200)
        facts = (
            (
                f"最近一次完成订单在 {days} 天前,过去曾多次购买"
                if zh
                else f"last completed order {days} days ago, several orders before that"
            ),
            "lost",
        )
    elif case == "loyal":
        tenure, rec = (
            th["loyal_min_tenure_days"] + rng.randint(30, 500),
            rng.randint(5, th["loyal_max_recency_days"] - 5),
        )
        facts = (
            (
                f"首单在 {tenure} 天前,F 分 {th['loyal_min_f_score'] + 1},最近一次购买在 {rec} 天前"
                if zh
                else f"first order {tenure} days ago, F score {th['loyal_min_f_score'] + 1}, last order {rec} days ago"
            ),
            "loyal",
        )
    elif case == "potential_new":
        first = rng.randint(20, th["potential_first_order_within_days"] - 20)
        facts = (
            (
                f"首单在 {first} 天前,F 分 1,M 分 2,最近一次购买在 10 天前"
                if zh
                else f"first order {first} days ago, F score 1, M score 2, last order 10 days ago"
            ),
            "potential",
        )
    else:
        tenure = th["potential_first_order_within_days"] + rng.randint(30, 400)
        facts = (
            (
                f"首单在 {tenure} 天前,F 分 2,M 分 2,最近一次购买在 100 天前"
                if zh
                else f"first order {tenure} days ago, F score 2, M score 2, last order 100 days ago"
            ),
            "marginal",
        )
    text, key = facts
    correct = types[key][name]
    opts, ans = _options(rng, correct, [t[name] for t in types.values()])
    q = (
        f"按四类客户的规则,这位客户属于哪一类?{text}。"
        if zh
        else f"By the four-type rules, which type is this customer? {text}."
    )
    why = (
        f"规则按 流失 → 忠诚 → 潜在 → 边缘 的顺序判断,第一条满足的规则决定类型:{correct}。"
        if zh
        else f"Rules are checked in the order lost → loyal → potential → marginal; the first that holds decides: {correct}."
    )
    return Exercise(f"type-{i}", "concept", q, opts, ans, why, citation("customer_types", lang, "how"))


def _q_classify_customer(
    con: duckdb.DuckDBPyConnection,
    rng: random.Random,
    lang: str,
    i: int,
    population: list[dict[str, Any]],
    fig: dict[str, Any],
) -> Exercise:
    rec = population[rng.randrange(len(population))]
    zh, name = lang == "zh", ("class_zh" if lang == "zh" else "class_en")
    classes = [c["zh" if zh else "en"] for c in load_table("rfm")["classes8"]]
    opts, ans = _options(rng, rec[name], classes)
    q = (
        f"客户 {rec['customer_id']}:R = {rec['recency_days']} 天,F = {rec['frequency']} 单,M = {float(rec['monetary']):,.2f} 元。"
        f"阈值(均值):R {fig['r_threshold']:.1f} 天,F {fig['f_threshold']:.2f} 单,M {fig['m_threshold']:,.2f} 元。它属于哪一类?"
        if zh
        else f"Customer {rec['customer_id']}: R = {rec['recency_days']} days, F = {rec['frequency']} orders, M = {float(rec['monetary']):,.2f}. "
        f"Thresholds (means): R {fig['r_threshold']:.1f} days, F {fig['f_threshold']:.2f}, M {fig['m_threshold']:,.2f}. Which class?"
    )
    pattern = "/".join(_hl(rec[f"{k}_high"], lang) for k in "rfm")
    why = (
        f"与阈值比较,R/F/M 为 {pattern}(R 天数 ≤ 阈值为高,F、M ≥ 阈值为高),组合为 {rec[name]}。"
        if zh
        else f"Against the thresholds R/F/M are {pattern} (R high when days ≤ threshold, F and M when ≥), which makes {rec[name]}."
    )
    return Exercise(
        f"classify-{rec['customer_id']}",
        "classify",
        q,
        opts,
        ans,
        why,
        citation("rfm", lang, "eight-classes"),
        {"customer_id": rec["customer_id"]},
    )


def quiz(con: duckdb.DuckDBPyConnection | None, n: int = 5, seed: int = 0, lang: str = "zh") -> list[Exercise]:
    """n exercises, the same for the same seed and data: concept questions and, with data, 'classify this customer'."""
    if not 1 <= n <= 50:
        raise InputError("题目数量应在 1–50 之间。", "The number of exercises must be 1–50.")
    rng = random.Random(seed)  # noqa: S311 — reproducible exercises, not secrets
    population: list[dict[str, Any]] = []
    fig: dict[str, Any] = {}
    if con is not None:
        res = load_all()["rfm"].run(con, {"by": "customer", "limit": 100_000})
        population = sorted(res.records(), key=lambda r: str(r["customer_id"]))
        fig = res.figures
    makers = [_q_rfm_class, _q_nps, _q_customer_type]
    out: list[Exercise] = []
    for i in range(n):
        if population and i % 3 == 2:
            out.append(_q_classify_customer(con, rng, lang, i, population, fig))  # type: ignore[arg-type]
        else:
            out.append(makers[i % len(makers)](rng, lang, i))
    return out


def mark(ex: Exercise, given: str | int, lang: str = "zh") -> tuple[bool, str]:
    """Accepts the option letter (A–D), its number (1–4) or its text."""
    idx: int | None = None
    if isinstance(given, int):
        idx = given
    else:
        g = given.strip().upper()
        if len(g) == 1 and g in LETTERS[: len(ex.options)]:
            idx = LETTERS.index(g)
        elif g.isdigit() and 1 <= int(g) <= len(ex.options):
            idx = int(g) - 1
        else:
            matches = [i for i, o in enumerate(ex.options) if o.upper() == g]
            idx = matches[0] if matches else None
    if idx is None or not 0 <= idx < len(ex.options):
        raise InputError(
            f"请用 {LETTERS[: len(ex.options)]} 中的一个字母作答。",
            f"Answer with one of the letters {', '.join(LETTERS[: len(ex.options)])}.",
        )
    right = idx == ex.answer
    zh = lang == "zh"
    head = (
        ("✓ 正确。" if right else f"✗ 不对,正确答案是 {LETTERS[ex.answer]}. {ex.options[ex.answer]}。")
        if zh
        else ("✓ Correct." if right else f"✗ Not quite: the answer is {LETTERS[ex.answer]}. {ex.options[ex.answer]}.")
    )
    return right, f"{head} {ex.explanation}\n\n{('出处:' if zh else 'Source: ')}{ex.citation}"


def render_exercise(ex: Exercise, number: int) -> str:
    opts = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(ex.options))
    return f"**{number}. {ex.question}**\n\n{opts}"
