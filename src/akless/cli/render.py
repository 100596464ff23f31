"""The one renderer: a command's frozen result, for people (text) or programs (``--output json``).

A command passes its result and a *view*, a function that turns the result into something rich
can print. JSON is derived from the result itself (dataclasses become objects), so both outputs
always carry the same facts. Results never hold a secret, so neither output can show one.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import click

from akless.cli.options import invocation

View = Callable[[Any], Any]
"""Turns a result into a rich renderable (a Table, Text, a string...)."""


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: dataclasses become objects, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [item.name for item in dataclasses.fields(value)]
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [jsonable(item) for item in value]
    return value


def emit(result: Any, view: View) -> None:
    """Print ``result``: as JSON with ``--output json``, else through ``view``."""
    if invocation().json:
        click.echo(json.dumps(jsonable(result), indent=2, sort_keys=False))
        return
    from rich.console import Console  # loaded only when there is something to draw

    # Values are data, never markup: an ARN like acs:ram::1:user/x must not become an emoji,
    # nor "[default]" vanish as a style tag. Views style with Text and table styles instead.
    Console(soft_wrap=True, highlight=False, markup=False, emoji=False).print(view(result))


def key_values(rows: Sequence[tuple[str, Any]]) -> Any:
    """Labels and values in two columns (the common text view), values shown literally and,
    like ``aligned``, never wrapped or cut to the terminal's width: a path or an ARN stays whole
    for copying."""
    from rich.text import Text

    width = max((len(label) for label, _ in rows), default=0)
    text = Text()
    for number, (label, value) in enumerate(rows):
        shown = "-" if value is None else str(value)
        if number:
            text.append("\n")
        text.append(label, style="bold")
        text.append(" " * (width - len(label) + 2))
        text.append(shown.replace("\n", "\n" + " " * (width + 2)))
    return text


def note(message: str) -> None:
    """One line for people on stderr (never part of the JSON a program reads)."""
    click.echo(message, err=True)


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (and not a pipe or a file)."""
    return sys.stdout.isatty()


def aligned(rows: Sequence[Sequence[str]]) -> Any:
    """Rows as plain columns, the first row the header: never wrapped or cut to the terminal's
    width (an ID, an ARN or a time must stay whole), values shown literally."""
    from rich.text import Text

    if not rows:
        return Text("")
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return Text("\n".join(lines))
