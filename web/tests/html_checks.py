"""Structural and accessibility checks of a rendered page, with the standard library's parser.

Not a full validator: it catches what templates get wrong most often (tags closed out of order,
duplicate ids, unlabelled controls, inline script or styles, assets from other hosts).
"""

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements whose end tag HTML lets an author leave out; the templates always close them anyway.
SVG_SELF_CLOSING = {"rect", "path"}
LABELLED = {"select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset"}
# A valid date, or a global date and time, as HTML's <time datetime> takes them.
TIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$")


class PageChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.label_targets: set[str] = set()
        self.controls: list[tuple[str, str | None, bool]] = []
        self.counts: dict[str, int] = {}
        self.skip_link = False
        self.lang: str | None = None
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)
        if "id" in attributes:
            self.ids.append(str(attributes["id"]))
        for name in attributes:
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name} on <{tag}>")
        if "style" in attributes:
            self.problems.append(f"inline style on <{tag}>")
        if tag == "time" and not TIME_VALUE.match(str(attributes.get("datetime"))):
            self.problems.append(f"<time datetime={attributes.get('datetime')}> is not a valid date and time")
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "script":
            if not attributes.get("src"):
                self.problems.append("inline <script>")
            self.assets.append(str(attributes.get("src")))
        if tag in ("link", "img", "iframe", "source"):
            self.assets.append(str(attributes.get("href") or attributes.get("src")))
        if tag == "a" and attributes.get("href") == "#main" and "skip-link" in (attributes.get("class") or ""):
            self.skip_link = True
        if tag == "label" and attributes.get("for"):
            self.label_targets.add(str(attributes["for"]))
        named = bool(attributes.get("aria-label") or attributes.get("aria-labelledby"))
        if tag in LABELLED or (tag == "input" and attributes.get("type") not in UNLABELLED_INPUT_TYPES):
            self.controls.append((tag, attributes.get("id"), named))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()


def page_problems(html: str) -> list[str]:
    """Everything wrong with a full page; an empty list when it passes."""
    checker = PageChecker()
    checker.feed(html)
    checker.close()
    problems = list(checker.problems)
    if not html.startswith("<!DOCTYPE html>"):
        problems.append("no <!DOCTYPE html> first")
    if checker.stack:
        problems.append(f"unclosed elements: {checker.stack}")
    if checker.lang != "en":
        problems.append("<html> has no lang")
    for tag, expected in (("h1", 1), ("main", 1), ("header", 1), ("footer", 1), ("title", 1)):
        if checker.counts.get(tag, 0) != expected:
            problems.append(f"{checker.counts.get(tag, 0)} <{tag}> elements, expected {expected}")
    if not checker.skip_link:
        problems.append("no skip link to #main")
    duplicates = {i for i in checker.ids if checker.ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate ids: {sorted(duplicates)}")
    for tag, control_id, named in checker.controls:
        if not named and (control_id is None or control_id not in checker.label_targets):
            problems.append(f"<{tag} id={control_id}> has no label")
    for asset in checker.assets:
        if not asset.startswith("/static/"):
            problems.append(f"asset not served by the service: {asset}")
    return problems
