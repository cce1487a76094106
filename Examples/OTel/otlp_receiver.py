#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace receiver on 127.0.0.1, decoding with the official message
definitions (PyPI's opentelemetry-proto), and the check that demo-service's faults arrive as
error spans under their group's span, with the error's type, message and stack.

  otlp_receiver.py serve SPANS_FILE    serve on a free port of 127.0.0.1; print 'port N'; append
                                       every decoded span to SPANS_FILE as a JSON line
  otlp_receiver.py check SPANS_FILE    assert what the spans say; exit 1 with the reason if not
"""
import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Status


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(key_values):
    return {kv.key: value(kv.value) for kv in key_values}


def serve(spans_file):
    out = open(spans_file, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != "/v1/traces":
                self.send_error(404, "only /v1/traces")
                return
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                service = attributes(resource_spans.resource.attributes).get("service.name")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        out.write(json.dumps({
                            "service": service,
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "status": Status.StatusCode.Name(span.status.code),
                            "status_message": span.status.message,
                            "attributes": attributes(span.attributes),
                            "events": [{"name": e.name, "attributes": attributes(e.attributes)} for e in span.events],
                        }) + "\n")
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


def check(spans_file):
    spans = [json.loads(line) for line in open(spans_file)]
    def fail(reason):
        print(f"check: FAIL: {reason} ({len(spans)} spans received)")
        sys.exit(1)
    if not spans:
        fail("no span arrived")
    by_id = {(s["trace_id"], s["span_id"]): s for s in spans}
    faults = [s for s in spans if s["name"].startswith("child ") and s["status"] == "STATUS_CODE_ERROR"
              and any(e["name"] == "exception" for e in s["events"])]
    if not faults:
        fail("no child span with error status and an exception event")
    good = []
    missing = {}
    for span in faults:
        exception = next(e for e in span["events"] if e["name"] == "exception")["attributes"]
        parent = by_id.get((span["trace_id"], span["parent_span_id"]))
        if (parent and parent["name"].startswith("group ")
                and parent["attributes"].get("safegroup.group.id") == span["attributes"].get("safegroup.group.id")
                and exception.get("exception.type") and exception.get("exception.message")
                and exception.get("exception.stacktrace", "").startswith("at ")):
            good.append((span, parent, exception))
        else:
            lacks = [name for name, ok in [
                ("a group parent", parent and parent["name"].startswith("group ")),
                ("type", exception.get("exception.type")), ("message", exception.get("exception.message")),
                ("stack", exception.get("exception.stacktrace", "").startswith("at "))] if not ok]
            key = f"{exception.get('safegroup.fault.kind')} without {', '.join(lacks)}"
            missing[key] = missing.get(key, 0) + 1
    if not good:
        fail("no error span whose parent is its group's span with exception.type, .message and .stacktrace")
    span, parent, exception = good[0]
    print(f"check: {len(spans)} spans, {len(faults)} error spans of children, {len(good)} under their group's span with type, message and stack")
    print(f"check: e.g. '{span['name']}' task '{span['attributes'].get('safegroup.task.name')}' "
          f"in '{parent['name']}' group '{parent['attributes'].get('safegroup.group.name')}': "
          f"{exception['exception.type']}: {exception['exception.message']}")
    print("check: stack: " + exception["exception.stacktrace"].split("\n")[0])
    for key, count in sorted(missing.items()):
        print(f"check: {count} error spans: {key}")
    workers = [s for s in spans if s["name"].startswith("isolated job ")]
    joined = [w for w in workers if (w["trace_id"], w["parent_span_id"]) in by_id]
    print(f"check: {len(workers)} isolated-job spans from workers, {len(joined)} joined to their child's span")
    print("check: OK")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("serve", "check"):
        print(__doc__)
        sys.exit(2)
    serve(sys.argv[2]) if sys.argv[1] == "serve" else check(sys.argv[2])
