"""The service's limits: stated, enforced with a clear error, never a silent cap.

Each limit answers a request beyond it with an HTTP error that names the limit
(docs/service.md, "Limits"): 413 for a body over :data:`MAX_BODY_BYTES`, 422 for more
than :data:`MAX_TRIALS` trials or :data:`MAX_EDITS` edits, 503 when more than
:data:`MAX_WAITING` forecasts are already waiting.
"""

from __future__ import annotations

#: Largest request body in bytes (edits of a large portfolio fit in a few KiB).
MAX_BODY_BYTES = 64 * 1024
#: Most trials one forecast request may ask for: with one forecast running at a time
#: this bounds the service's memory and each answer's time. A service limit, not a model
#: one: ``portfolio-sim forecast --trials N`` runs any count.
MAX_TRIALS = 50_000
#: Trials when a request gives none (the CLI's default).
DEFAULT_TRIALS = 10_000
#: Largest seed (the CLI's seeds are non-negative whole numbers).
MAX_SEED = 2**63 - 1
#: Most edits in one request.
MAX_EDITS = 1_000
#: Forecasts allowed to wait for a worker before new ones are refused with 503.
MAX_WAITING = 64
#: Forecasts run at once (the fast engine already uses every core for one forecast).
WORKERS = 1
