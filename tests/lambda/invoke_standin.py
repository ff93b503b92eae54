#!/usr/bin/env python3
"""A stand-in for the AWS Lambda Invoke API, for tests/test_lambda.c.

    invoke_standin.py LOGFILE ACCESS_KEY SECRET_KEY SESSION_TOKEN REGION

Listens on 127.0.0.1 (a free port, printed on the first line of stdout)
and answers POST /2015-03-31/functions/NAME/invocations. Every request's
AWS Signature Version 4 is verified with botocore: the request is rebuilt
from what arrived (method, URL, the headers named in SignedHeaders, body),
signed with the configured credentials, region and the request's
X-Amz-Date, and the Authorization headers compared; a mismatch, a wrong
access key or a wrong X-Amz-Security-Token answers 403
{"message": "signature mismatch"}.

Functions, by name (the part after the last ':' of an ARN):
  echo                      returns the payload
  book-hotel, book-car, book-flight and
  trip-booking-functions-dev-book-{hotel,car,flight}
                            {"statusCode": 200, "body": "{\"success\": B}"}
                            where B is false when the trip's variables
                            (the payload, or the JSON text of its "body"
                            string) have failHotel / failCar / failFlight
                            true for the hotel / car / flight
  trip-booking-functions-dev-cancel-{hotel,car,flight}
                            the same, always successful
  slow, slow-hotel, slow-car, slow-flight
                            sleep 1 s, then as a successful booking
  fail-handled              200, X-Amz-Function-Error: Handled and
                            {"errorMessage": "no rooms left",
                             "errorType": "NoRooms"}
  throttle                  429 {"message": "Rate exceeded"}
  boom                      500 {"message": "internal failure"}
  text                      200, the text "plain text, not JSON"
  anything else             404 {"Message": "Function not found: ..."}

Each call is logged to LOGFILE as a JSON line {"function", "payload",
"status", "start", "end"} (times in seconds since the epoch).
"""
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LOG, ACCESS, SECRET, TOKEN, REGION = sys.argv[1:6]
log_lock = threading.Lock()
PREFIX = "/2015-03-31/functions/"
SUFFIX = "/invocations"


def signature_ok(handler, body):
    auth = handler.headers.get("Authorization", "")
    amz_date = handler.headers.get("X-Amz-Date")
    if not auth.startswith("AWS4-HMAC-SHA256 ") or not amz_date:
        return False
    parts = dict(p.strip().split("=", 1)
                 for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    cred = parts.get("Credential", "").split("/")
    if len(cred) != 5 or cred[0] != ACCESS or cred[2] != REGION \
            or cred[3] != "lambda":
        return False
    if handler.headers.get("X-Amz-Security-Token") != TOKEN:
        return False
    signed = parts.get("SignedHeaders", "").split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return False
    headers = {h: handler.headers.get(h, "") for h in signed}
    url = "http://%s%s" % (handler.headers.get("Host"), handler.path)
    req = AWSRequest(method=handler.command, url=url, data=body,
                     headers=headers)
    signer = SigV4Auth(Credentials(ACCESS, SECRET, TOKEN), "lambda", REGION)
    req.context["timestamp"] = amz_date
    canonical = signer.canonical_request(req)
    string_to_sign = signer.string_to_sign(req, canonical)
    expected = signer.signature(string_to_sign, req)
    return parts.get("Signature") == expected


def trip_vars(payload):
    if isinstance(payload, dict) and isinstance(payload.get("body"), str):
        try:
            return json.loads(payload["body"])
        except ValueError:
            return {}
    return payload if isinstance(payload, dict) else {}


def booking(name, payload):
    vars_ = trip_vars(payload)
    success = True
    if "book-" in name:
        what = name.rsplit("-", 1)[1]  # hotel, car, flight
        if vars_.get("fail" + what.capitalize()) is True:
            success = False
    return 200, {}, json.dumps(
        {"statusCode": 200, "body": json.dumps({"success": success})})


def answer(name, payload):
    if name == "echo":
        return 200, {}, json.dumps(payload)
    if name.startswith("slow"):
        time.sleep(1)
        return booking(name, payload)
    if name in ("book-hotel", "book-car", "book-flight") or \
            name.startswith("trip-booking-functions-dev-"):
        return booking(name, payload)
    if name == "fail-handled":
        return 200, {"X-Amz-Function-Error": "Handled"}, json.dumps(
            {"errorMessage": "no rooms left", "errorType": "NoRooms"})
    if name == "throttle":
        return 429, {}, json.dumps({"message": "Rate exceeded"})
    if name == "boom":
        return 500, {}, json.dumps({"message": "internal failure"})
    if name == "text":
        return 200, {}, "plain text, not JSON"
    return 404, {}, json.dumps({"Message": "Function not found: " + name,
                                "Type": "User"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle and
    # delayed ACKs add 40 ms to each answer.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send(self, status, headers, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        start = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        qualifier = urllib.parse.parse_qs(split.query).get("Qualifier",
                                                            [None])[0]
        if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return self.send(404, {}, json.dumps({"message": "no route"}))
        name = urllib.parse.unquote(path[len(PREFIX):-len(SUFFIX)])
        name = name.rsplit(":", 1)[-1] if name.startswith("arn:") else name
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = body.decode(errors="replace")
        if not signature_ok(self, body):
            status, headers, text = 403, {}, json.dumps(
                {"message": "signature mismatch"})
        else:
            status, headers, text = answer(name, payload)
        end = time.time()
        with log_lock, open(LOG, "a") as f:
            f.write(json.dumps({"function": name, "qualifier": qualifier,
                                "path": path, "payload": payload,
                                "status": status, "start": start,
                                "end": end}) + "\n")
        self.send(status, headers, text)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
