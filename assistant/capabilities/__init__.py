"""Everything the router, the LLM and the CLI can call, listed explicitly: one registry.

The calculators come from ``tools``; the business review and the teaching tools from their own packages;
document search from the answering layer. Each module registers itself with ``tools.base.register`` when
imported; this list decides which are loaded. To add a capability, register it in its module and name the
module here.
"""

from __future__ import annotations

from tools import CALCULATORS, load
from tools.base import ToolSpec

CAPABILITIES: tuple[str, ...] = (
    *CALCULATORS,
    "assistant.report.tool",  # business_review
    "assistant.teach.tool",  # rfm_walkthrough, exercises
    "assistant.jobs.tool",  # follow_up, visit_briefing, period_review
    "assistant.answering.search",  # search_docs (needs the knowledge base)
)


def load_all() -> dict[str, ToolSpec]:
    """Every capability by name, in the order of CAPABILITIES."""
    return load(CAPABILITIES)
