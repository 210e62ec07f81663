"""In-process dispatch in Python Chalice, timed as the Lambda runtime does the work for each
event: the event's JSON text in (`json.loads`), the app object or the authorizer object called,
the answer's JSON text out (`json.dumps`). Also `json.loads` + `json.dumps` of the event alone,
Python's own floor.

    python dispatch.py EVENTS_JSON SECONDS

EVENTS_JSON holds `{"api_event": .., "token_event": ..}` (the chalice-rs benchmarks' events,
printed by `cargo run -p chalice-testkit --example bench_events`). Prints one JSON object:
nanoseconds per operation (median of the timed batches) for each case."""

import json
import os
import statistics
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("LAMBDA_TASK_ROOT", os.path.join(HERE, "demoauth"))
sys.path.insert(0, HERE)

from bootstrap import LambdaContext, load_handler  # noqa: E402


def per_op_ns(function, seconds):
    """Median time of one call over batches of about 50 ms each, for `seconds` in all."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    number = max(number // 4, 1)
    batches = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(batches) < 5:
        batches.append(timer.timeit(number) / number * 1e9)
    return statistics.median(batches)


def main():
    events_path, seconds = sys.argv[1], float(sys.argv[2])
    with open(events_path) as f:
        events = json.load(f)
    # Compact, as serde_json writes them: the same bytes chalice-rs is timed with.
    api_text = json.dumps(events["api_event"], separators=(",", ":"))
    token_text = json.dumps(events["token_event"], separators=(",", ":"))
    app = load_handler("app.app")
    authorizer = load_handler("app.demo_auth")
    context = LambdaContext()

    def api():
        return json.dumps(app(json.loads(api_text), context))

    def token():
        return json.dumps(authorizer(json.loads(token_text), context))

    answer = json.loads(api())
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["context"]["authorizer"]["principalId"] == "user", answer
    policy = json.loads(token())
    assert policy["policyDocument"]["Statement"][0]["Resource"], policy

    # Warm up (the first call of each imports and caches), then time.
    for function in (api, token):
        per_op_ns(function, 0.2)
    print(json.dumps({
        "api_event": per_op_ns(api, seconds),
        "token_event": per_op_ns(token, seconds),
        "json_floor_api_event": per_op_ns(lambda: json.dumps(json.loads(api_text)), seconds / 2),
        "json_floor_token_event": per_op_ns(lambda: json.dumps(json.loads(token_text)), seconds / 2),
    }))


if __name__ == "__main__":
    main()
