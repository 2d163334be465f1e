"""The project's token estimate: what a context package costs an agent's context window.

Method: the compact JSON of a document (what a client puts on the wire) is cut into pieces the way
BPE pre-tokenisers cut text — runs of letters, digits, punctuation, and single non-ASCII characters —
and each kind of piece is weighted by what it costs in a real tokenizer on JSON like ours:

    tokens ≈ 1.04 × (0.9·words + 0.08·letters beyond the 6th of a word + 0.33·digits
                      + 1.14·punctuation runs + 0.06·punctuation characters + 4.6·non-ASCII characters)

The weights were fitted by least squares on 557 JSON documents this project writes (400 tasks,
registries, reports and run records; 157 context packages of examples/shop and of the benchmark's
generated project) against the Claude tokenizer that the `anthropic` SDK shipped offline up to 0.38
(``anthropic/tokenizer.json``, read with HF ``tokenizers``); the 4 % margin makes the estimate err
on the side of more tokens. Measured then: context packages +3.9 % on average (+1.7 % to +6.2 %),
other documents +4.0 % (−1.6 % to +10.9 %). ``benchmarks/context.py`` measures the error on the
benchmark's packages each run. Newer Claude models' tokenizers are not published; the estimate is
a budget, not a bill. (Non-ASCII characters such as → and — are several byte-level tokens each.)

Why not bytes / 4: on the same documents it under-counted by 13 % on average and by up to 33 %
(JSON punctuation and ids cost more tokens than prose), so a package "within budget" was not.
Why not a tokenizer at run time: none is installable offline for current models, and loading one
costs more than the whole warm ``prepare_context``.
"""

from __future__ import annotations

import json
import math
import re

METHOD = ("1.04 × (0.9·words + 0.08·letters past the 6th + 0.33·digits + 1.14·punctuation runs + "
          "0.06·punctuation + 4.6·non-ASCII chars) of the compact JSON; fitted to a Claude tokenizer")

_PIECE = re.compile(r"([A-Za-z]+)|(\d+)|([^\sA-Za-z\d\x80-\U0010ffff]+)|([\x80-\U0010ffff])")


def text_tokens(text: str) -> float:
    """The weighted piece count of ``text`` before rounding (additive over concatenation, nearly)."""
    total = 0.0
    for word, digits, punct, _other in _PIECE.findall(text):
        if word:
            total += 0.9 + 0.08 * max(0, len(word) - 6)
        elif digits:
            total += 0.33 * len(digits)
        elif punct:
            total += 1.14 + 0.06 * len(punct)
        else:
            total += 4.6
    return 1.04 * total


def compact(document: object) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def estimate_tokens(document: object) -> int:
    """The project's token estimate of ``document`` as compact JSON."""
    return math.ceil(text_tokens(compact(document)))
