"""A hello worker in Python, standard library only: an HTTP worker the hall calls.

The hall POSTs a WorkerCall (JSON) and reads back the JSON result; it mints the evidence receipt
itself, so the worker only does the work. Run it on its own with:

    PORT=8792 python3 examples/hello-py/worker.py

then enrol examples/hello-py/record.json with its endpoint. PORT=0 lets the OS pick a port; the
first line on stdout is "listening on http://127.0.0.1:<port>/" either way.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

CALL_FIELDS = ("correlation_id", "decision_id", "tenant_id", "capability_id", "worker_id", "env")
MAX_BODY = 1 << 20


def greet(call):
    """The greeting for one call; a bad name raises ValueError naming the field."""
    if call["capability_id"] != "cap.hello.greet":
        raise ValueError("capability_id: this worker serves cap.hello.greet, not %s" % call["capability_id"])
    name = call["request"].get("name", "world")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise ValueError("request.name: a string of 1-100 characters")
    return {"greeting": "Hello, %s!" % name, "worker": "python", "correlation_id": call["correlation_id"]}


def is_call(v):
    return (
        isinstance(v, dict)
        and all(isinstance(v.get(k), str) for k in CALL_FIELDS)
        and isinstance(v.get("request"), dict)
    )


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        try:
            length = int(self.headers.get("content-length", "0"))
        except ValueError:
            return self.answer(400, {"error": "content-length is not a number"})
        if length < 0 or length > MAX_BODY:
            return self.answer(413, {"error": "body too large"})
        try:
            call = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self.answer(400, {"error": "body is not JSON"})
        if not is_call(call):
            return self.answer(400, {"error": "body is not a WorkerCall"})
        try:
            return self.answer(200, greet(call))
        except ValueError as e:
            return self.answer(400, {"error": str(e)})

    def do_GET(self):
        self.answer(405, {"error": "POST a WorkerCall"})

    def log_message(self, *args):
        pass  # quiet: the hall records every call


def main():
    server = HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8792"))), Handler)
    print("listening on http://127.0.0.1:%d/" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
