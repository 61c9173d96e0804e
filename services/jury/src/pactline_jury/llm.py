"""litellm, imported once for the jury without the side effects its import has on a process.

Import-time behaviour this undoes or prevents: fetching the model price list over the network
(the jury uses its own configured prices), and turning the httpx logger down to WARNING (the
process's logging belongs to the service runtime).
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
_httpx_level = logging.getLogger("httpx").level

import litellm  # noqa: E402

logging.getLogger("httpx").setLevel(_httpx_level)
litellm.suppress_debug_info = True
logging.getLogger("LiteLLM").setLevel(logging.WARNING)  # an INFO line per call is noise at our volume

__all__ = ["litellm"]
