"""A minimal AWS Lambda runtime loop for Python, so that Python Chalice is started and fed
events exactly as chalice-rs is in the cold-start and memory benchmarks: against the same fake
Runtime API, from the same environment (`AWS_LAMBDA_RUNTIME_API`, `_HANDLER` such as
`app.app` or `app.demo_auth`, `LAMBDA_TASK_ROOT`).

Like Lambda's own Python runtime it imports the handler's module once, then loops: `GET /next`,
`json.loads` the event, call the handler, `json.dumps` its answer and post it. It keeps one
HTTP connection to the Runtime API. Standard library only, so its own import cost is small;
the measured start-up is the interpreter, Chalice, the app and the first event."""

import http.client
import importlib
import json
import os
import sys
import time

API = "/2018-06-01/runtime"


class LambdaContext:
    """The context object a Python handler receives, with the fields Lambda fills in."""

    def __init__(self, request_id="bench", deadline_ms=None, function_arn=""):
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "demoauth1-dev")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms if deadline_ms is not None else time.time() * 1000 + 30000

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)


def load_handler(handler):
    """`module.attribute` from `_HANDLER`, imported from `LAMBDA_TASK_ROOT`."""
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    module, _, attribute = handler.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def error_body(error):
    return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)})


def post(connection, path, body):
    connection.request("POST", path, body=body.encode(), headers={"Content-Type": "application/json"})
    connection.getresponse().read()


def main():
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:
        post(connection, f"{API}/init/error", error_body(error))
        raise
    while True:
        connection.request("GET", f"{API}/invocation/next")
        response = connection.getresponse()
        event = response.read()
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        context = LambdaContext(
            request_id,
            int(response.getheader("Lambda-Runtime-Deadline-Ms", "0")) or None,
            response.getheader("Lambda-Runtime-Invoked-Function-Arn", ""),
        )
        try:
            answer = json.dumps(handler(json.loads(event), context))
        except Exception as error:
            post(connection, f"{API}/invocation/{request_id}/error", error_body(error))
            continue
        post(connection, f"{API}/invocation/{request_id}/response", answer)


if __name__ == "__main__":
    main()
