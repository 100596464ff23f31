"""Every snippet template and every decoy kind, many times over, through the engine alone.

The corpus holds one or two plants per context per seed: enough to show that each context
works, too few to measure a rate. The sweep fills each template of ``bench.scan_plants`` with
``draws`` fresh random credentials (IDs alternating between 16 and 24 characters) and scans
each snippet on its own; it does the same for every decoy kind of ``bench.scan_decoys``. A
miss here is a random value the filters took for a placeholder, or a template the engine
cannot read: the per-context rate the corpus only samples.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from akless.scan import scan
from bench.scan_decoys import decoys
from bench.scan_eval import expected_fingerprint
from bench.scan_plants import (
    PAIR_CONTEXTS,
    STS_CONTEXTS,
    access_key_id,
    access_key_secret,
    fill,
    security_token,
    sts_access_key_id,
    sts_secret,
)


def _plant(rng: random.Random, kind: str, template: str, legacy: bool) -> dict[str, Any]:
    if kind == "pair":
        key, secret, token = access_key_id(rng, legacy=legacy), access_key_secret(rng), None
    else:
        key, token = sts_access_key_id(rng), security_token(rng)
        secret = sts_secret(rng) if "@SECRET@" in template else None
    return {"kind": kind, "id": key, "secret": secret, "token": token}


def sweep(draws: int, seed: int = 0) -> dict[str, Any]:
    """Found / tried per context (and per ID length, for pairs), and decoys reported per kind."""
    rng = random.Random(seed)
    found: dict[str, int] = defaultdict(int)
    tried: dict[str, int] = defaultdict(int)
    contexts = [("pair", context) for context in PAIR_CONTEXTS]
    contexts += [("sts", context) for context in STS_CONTEXTS]
    for kind, context in contexts:
        for template in context.templates:
            for draw in range(draws):
                plant = _plant(rng, kind, template, legacy=draw % 2 == 0)
                text = fill(template, plant["id"], plant["secret"], plant["token"])
                hit = expected_fingerprint(plant) in {
                    finding.fingerprint for finding in scan(text.encode(), "snippet")
                }
                groups = [kind, f"context:{context.name}"]
                if kind == "pair":
                    groups.append(f"id-length:{len(plant['id'])}")
                for group in groups:
                    tried[group] += 1
                    found[group] += hit
    reported: dict[str, int] = defaultdict(int)
    drawn: dict[str, int] = defaultdict(int)
    for decoy in decoys(rng, per_kind=draws):
        drawn[decoy.what] += 1
        reported[decoy.what] += bool(scan(decoy.text.encode(), "decoy"))
    return {
        "draws": draws,
        "found": dict(found),
        "tried": dict(tried),
        "decoys_drawn": dict(drawn),
        "decoys_reported": dict(reported),
    }
