"""The reviewers' credits line at the end of a published article (pure core).

Some localities require the names of who edited and reviewed an article on what is published:
"编辑：王编辑　审核：李科长　终审：张主任". A theme asks for it (``credits: true`` in its YAML;
``credits_proofreading: true`` adds "校对：…"). The names come from the sealed review chain, which
is bound to the version hash, so the line cannot be part of the hashed version: it is appended
when the draft is built (``append_credits``), deterministically from the archived 审核表, and the
read-back expects exactly the HTML that was sent.

Labels: the first stage's signer is 编辑, the middle stages' signers 审核, the last stage's 终审;
an office with one stage prints "终审：…" (its stage is called 终审) or "审核：…" (any other name).
"""

from __future__ import annotations

import html as _html

from wxpub.core.render.html import make_safe

#: Characters kept free in every article body of a theme with credits (``render_articles``),
#: so the appended line never pushes an article over WeChat's 20,000-character limit.
CREDITS_RESERVE = 400
#: The longest credits text printed (longer lists of names end in "等").
MAX_TEXT = 160
SEPARATOR = "\u3000"  # an ideographic space between the parts, as in print
FIRST, MIDDLE, LAST, PROOFREADING = "编辑", "审核", "终审", "校对"


def _unique(names) -> list[str]:
    out: list[str] = []
    for name in names:
        name = (name or "").strip()
        if name and name not in out:
            out.append(name)
    return out


def credit_parts(stages: list[tuple[str, str]], proofreaders=()) -> list[tuple[str, list[str]]]:
    """``[(label, [names])]`` from the chain's stages in order (``(stage name, signer name)``) and,
    when given, the 校对 rounds' people; an unsigned stage (empty name) is left out."""
    if not stages:
        return []
    if len(stages) == 1:
        stage, name = stages[0]
        parts = [(LAST if stage == LAST else MIDDLE, _unique([name]))]
    else:
        parts = [(FIRST, _unique([stages[0][1]])), (MIDDLE, _unique(n for _s, n in stages[1:-1])),
                 (LAST, _unique([stages[-1][1]]))]
    readers = _unique(proofreaders)
    if readers:
        parts.insert(1 if len(stages) > 1 else 0, (PROOFREADING, readers))
    return [(label, names) for label, names in parts if names]


def credits_text(parts: list[tuple[str, list[str]]]) -> str:
    """"编辑：王编辑　审核：李科长　终审：张主任" (empty when there is nobody to name)."""
    text = SEPARATOR.join(f"{label}：{'、'.join(names)}" for label, names in parts)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "等"


def credits_html(text: str, css: str) -> str:
    """The line as WeChat-safe HTML, styled by the theme's CSS (``.wx-credits`` in base.css)."""
    while text:
        line = make_safe(f'<p class="wx-credits">{_html.escape(text)}</p>', css)
        if len(line) <= CREDITS_RESERVE:
            return line
        text = text[:-9] + "等"  # names full of characters that escape long: shorten to fit
    return ""


def append_credits(article_html: str, line_html: str) -> str:
    """The article with the credits line as its last paragraph (inside the article's root
    section, after the footer, so it inherits the article's text style)."""
    if not line_html:
        return article_html
    body = article_html.rstrip()
    if body.endswith("</section>"):
        return body[:-len("</section>")] + line_html + "</section>"
    return body + line_html
