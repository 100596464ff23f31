"""The profile switch, akless's ``auth_util.client_type``: ``use_profile("dev")`` selects a
profile for the whole process; it beats ``ALIBABA_CLOUD_PROFILE`` and loses to a profile name
given to a provider directly. (Kept tiny: ``import akless`` imports it.)
"""

from __future__ import annotations

from akless import _env
from akless._env import Environ

_selected: str | None = None


def use_profile(name: str | None) -> None:
    """Select profile ``name`` for every profile provider in this process (``None`` clears).

    The equivalent of the official ``auth_util.client_type = name``; a blank name clears too.
    """
    global _selected
    _selected = (name.strip() or None) if name is not None else None


def selected_profile(environ: Environ | None = None) -> str | None:
    """The profile ``use_profile`` selected, else ``ALIBABA_CLOUD_PROFILE``, else ``None``."""
    return _selected or _env.PROFILE.get(environ)
