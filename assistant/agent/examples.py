"""The example bank of a warehouse: the corrections its managers accepted (``assistant.warehouse.feedback``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import InputError
from assistant.nlu.example_bank import Example, ExampleBank
from assistant.warehouse.feedback import FeedbackStore, feedback_path

if TYPE_CHECKING:
    from assistant.router.router import Router


def bank_for(db: str | Path) -> ExampleBank:
    """Accepted corrections beside ``db``, reloaded when a review changes them (no file is created by reading)."""
    return bank_of(FeedbackStore(feedback_path(db)))


def bank_of(store: FeedbackStore) -> ExampleBank:
    """The accepted corrections of ``store`` as an example bank."""

    def accepted() -> list[Example]:
        return [Example(str(f.id), f.question, f.rewrite) for f in store.accepted() if f.rewrite]

    return ExampleBank(accepted, store.version)


def check_phrasing(router: Router, text: str) -> None:
    """An accepted phrasing must itself be understood: every part routes to a tool or an explanation."""
    from assistant.answering.conversation import Context

    for part in router.parts(text, Context()):
        plan = router.route(part, Context())
        if plan.kind not in ("tool", "explain"):
            raise InputError(
                f"「{part}」本身也没有被理解(助手会{'要求澄清' if plan.kind == 'clarify' else '拒绝回答'});"
                "请换一个助手能直接回答的说法再接受,例如「华东区今年的销售额」。",
                f'"{part}" is not understood either (the assistant would '
                f"{'ask what was meant' if plan.kind == 'clarify' else 'refuse'}); accept it with a phrasing "
                'the assistant answers directly, e.g. "revenue in East China this year".',
            )
