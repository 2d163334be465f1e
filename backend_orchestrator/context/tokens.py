"""The project's token estimate: what a context package costs an agent's context window.

Method: the compact JSON of a document (what a client puts on the wire) is cut into pieces the way
BPE pre-tokenisers cut text — runs of letters, digits, punctuation, and single non-ASCII characters —
and each kind of piece is weighted by what it costs in a real tokenizer on JSON like ours:

    tokens ≈ 1.05 × (1.15·words + 0.15·letters beyond the 6th of a word + 0.65·digits
                      + 0.15·punctuation characters + 0.55·punctuation runs + 1.0·non-ASCII characters)

The weights were fitted by least squares on 400 JSON documents this project writes (tasks,
registries, reports, context packages) against the Claude tokenizer that the `anthropic` SDK
shipped offline up to 0.38 (``anthropic/tokenizer.json``, read with HF ``tokenizers``); the 5 %
margin makes the estimate err on the side of more tokens. ``benchmarks/context.py`` measures the
error on the benchmark's packages each run (mean, worst under- and over-estimate). Newer Claude
models' tokenizers are not published; the estimate is a budget, not a bill.

Why not bytes / 4: on the same documents it under-counted by 13 % on average and by up to 33 %
(JSON punctuation and ids cost more tokens than prose), so a package "within budget" was not.
Why not a tokenizer at run time: none is installable offline for current models, and loading one
costs more than the whole warm ``prepare_context``.
"""

from __future__ import annotations

import json
import math
import re

METHOD = ("1.05 × (1.15·words + 0.15·letters past the 6th + 0.65·digits + 0.15·punctuation + "
          "0.55·punctuation runs + non-ASCII chars) of the compact JSON; fitted to a Claude tokenizer")

_PIECE = re.compile(r"([A-Za-z]+)|(\d+)|([^\sA-Za-z\d\x80-\U0010ffff]+)|([\x80-\U0010ffff])")


def text_tokens(text: str) -> float:
    """The weighted piece count of ``text`` before rounding (additive over concatenation, nearly)."""
    total = 0.0
    for word, digits, punct, _other in _PIECE.findall(text):
        if word:
            total += 1.15 + 0.15 * max(0, len(word) - 6)
        elif digits:
            total += 0.65 * len(digits)
        elif punct:
            total += 0.55 + 0.15 * len(punct)
        else:
            total += 1.0
    return 1.05 * total


def compact(document: object) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def estimate_tokens(document: object) -> int:
    """The project's token estimate of ``document`` as compact JSON."""
    return math.ceil(text_tokens(compact(document)))
