"""Run the stand-in on its own: `python -m helpers.standin --port 8080` (prints its URL and key)."""

import argparse
import time

from . import StandIn

parser = argparse.ArgumentParser(description="Serve the workbook's offline stand-in endpoint (not a model).")
parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (a free one when omitted)")
parser.add_argument("--model-id", action="append", help="model id to list (repeatable)")
parser.add_argument(
    "--strict",
    action="store_true",
    default=None,
    help="refuse request shapes stricter servers reject (default: WORKBOOK_STANDIN_STRICT=1)",
)
args = parser.parse_args()
standin = StandIn(**({"model_ids": args.model_id} if args.model_id else {}), strict=args.strict).start(
    port=args.port
)
print(
    f"stand-in (not a model) serving {standin.base_url} (strict={standin.strict}); API key: {standin.api_key}",
    flush=True,
)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    standin.stop()
