"""The event sources of the transformed template, as the services drive them.

- `AWS::Lambda::EventSourceMapping` on an SQS queue: a poller that receives up to BatchSize
  messages (all system attributes), invokes the function with the SQS event, and deletes what
  succeeded: with `ReportBatchItemFailures` everything but the `batchItemFailures`, without
  it everything or (on a function error) nothing. Failed messages come back after the
  queue's own visibility timeout, as on AWS.
- `AWS::ApiGatewayV2::Api` (the HTTP APIs' OpenAPI bodies): a route table from method and
  path to the function of its integration, and API Gateway HTTP API payload 2.0 events.
- `AWS::Events::Rule` with a schedule: an EventBridge "Scheduled Event" on demand (the
  rehearsal cannot wait a minute for `rate(1 minute)`).
"""

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone

from stack import ACCOUNT, RehearsalError
from runtime import FunctionError


def function_of(stack, value):
    """The logical id of the function a FunctionName/Arn/integration URI names."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return att[0] if isinstance(att, list) else att.split(".", 1)[0]
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            for name in re.findall(r"\$\{([^}.]+)(?:\.[^}]*)?\}", text):
                if stack.resources.get(name, {}).get("Type") == "AWS::Lambda::Function":
                    return name
    raise RehearsalError(f"cannot tell which function {value!r} names")


# ---------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------


class SqsPoller:
    def __init__(self, aws, stack, logical_id, mapping, function, queues_by_arn):
        p = mapping["Properties"]
        self.name = logical_id
        self.function = function
        self.arn = stack.resolve(p["EventSourceArn"])
        self.queue_url = queues_by_arn.get(self.arn)
        if self.queue_url is None:
            raise RehearsalError(f"{logical_id}: no queue created for {self.arn}")
        self.batch_size = int(stack.resolve(p.get("BatchSize", 10)))
        self.report_failures = "ReportBatchItemFailures" in (
            stack.resolve(p.get("FunctionResponseTypes")) or []
        )
        self.enabled = stack.resolve(p.get("Enabled", True)) not in (False, "false")
        self.sqs = aws.client("sqs")
        self.region = aws.region
        self.stopping = threading.Event()
        self.thread = None
        self.batches = []  # (size, failed ids)
        self.received = []  # message ids of each batch, same order as `batches`
        self.errors = []

    def start(self):
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout=5)

    def _run(self):
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_s=1)
            except Exception as error:  # noqa: BLE001 - reported at the end, never lost
                self.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(0.5)

    def poll_once(self, wait_s):
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            # SQS hands out at most 10 per call; a larger BatchSize would need a batching
            # window, which the template does not set.
            MaxNumberOfMessages=min(self.batch_size, 10),
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [self._record(m) for m in received]}
        self.received.append([m["MessageId"] for m in received])
        failed_ids = None
        try:
            response = self.function.invoke(event)
        except FunctionError as error:
            # The whole batch failed: nothing is deleted.
            self.batches.append((len(received), [m["MessageId"] for m in received]))
            self.errors.append(str(error))
            return len(received)
        if self.report_failures:
            failures = (response or {}).get("batchItemFailures") or []
            failed_ids = {f.get("itemIdentifier") for f in failures}
            unknown = failed_ids - {m["MessageId"] for m in received}
            if unknown or "" in failed_ids or None in failed_ids:
                # Lambda treats an invalid itemIdentifier as a failure of the whole batch.
                self.errors.append(f"invalid batchItemFailures {failures!r}")
                failed_ids = {m["MessageId"] for m in received}
        else:
            failed_ids = set()
        done = [m for m in received if m["MessageId"] not in failed_ids]
        if done:
            result = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done)
                ],
            )
            if result.get("Failed"):
                self.errors.append(f"delete failed: {result['Failed']!r}")
        self.batches.append((len(received), sorted(failed_ids)))
        return len(received)

    def batches_seen(self):
        """(size, failed ids, received ids) of every batch handled so far."""
        return [
            (size, failed, received)
            for (size, failed), received in zip(list(self.batches), list(self.received))
        ]

    def _record(self, message):
        body = message["Body"]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.region,
        }


# ---------------------------------------------------------------------------------------------
# API Gateway HTTP API
# ---------------------------------------------------------------------------------------------


class HttpApi:
    """Routes of every `AWS::ApiGatewayV2::Api` with an OpenAPI body."""

    def __init__(self, stack, functions):
        self.routes = []  # (api logical id, method, path regex, route key, function)
        for api_id, api in stack.of_type("AWS::ApiGatewayV2::Api").items():
            body = api["Properties"].get("Body") or {}
            for path, methods in (body.get("paths") or {}).items():
                for method, operation in methods.items():
                    integration = (operation or {}).get("x-amazon-apigateway-integration")
                    if not integration:
                        continue
                    try:
                        logical = function_of(stack, integration["uri"])
                    except RehearsalError:
                        continue  # not a Lambda proxy integration
                    if logical not in functions:
                        continue
                    verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                    pattern = "^" + re.sub(
                        r"\\\{[^}]+\\\+\\\}",
                        ".+",
                        re.sub(r"\\\{[^}+]+\\\}", "[^/]+", re.escape(path)),
                    ) + "$"
                    self.routes.append(
                        (api_id, verb, re.compile(pattern), f"{verb} {path}", functions[logical])
                    )

    def route(self, method, path):
        for api_id, verb, pattern, key, function in self.routes:
            if verb in (method, "ANY") and pattern.match(path):
                return api_id, key, function
        return None

    def request(self, method, path, headers=None, body=b"", query=""):
        found = self.route(method, path)
        if found is None:
            return 404, {}, b'{"message":"Not Found"}'
        api_id, route_key, function = found
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        headers.setdefault("content-length", str(len(body)))
        # The function's own clock (see clock_shift.c), as API Gateway's would be.
        now = datetime.fromtimestamp(
            time.time() + function.clock_shift_ms / 1000, timezone.utc
        )
        text = body.decode() if body else None
        event = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": api_id.lower()[:10],
                "domainName": f"{api_id.lower()[:10]}.execute-api.{function.region}.amazonaws.com",
                "domainPrefix": api_id.lower()[:10],
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "173.252.127.116",
                    "userAgent": headers.get("user-agent", "rehearsal"),
                },
                "requestId": base64.b64encode(uuid.uuid4().bytes[:10]).decode(),
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = dict(
                part.split("=", 1) for part in query.split("&") if "=" in part
            )
        if text is not None:
            event["body"] = text
        response = function.invoke(event)
        status = int(response.get("statusCode", 200))
        out_body = response.get("body") or ""
        raw = base64.b64decode(out_body) if response.get("isBase64Encoded") else out_body.encode()
        return status, response.get("headers") or {}, raw


# ---------------------------------------------------------------------------------------------
# EventBridge schedules
# ---------------------------------------------------------------------------------------------


class Schedule:
    def __init__(self, stack, logical_id, rule, function):
        p = rule["Properties"]
        self.name = logical_id
        self.expression = stack.resolve(p["ScheduleExpression"])
        self.function = function
        self.region = stack.region

    def fire(self):
        """One scheduled event, shaped as EventBridge sends it."""
        return self.function.invoke(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": ACCOUNT,
                "time": datetime.fromtimestamp(
                    time.time() + self.function.clock_shift_ms / 1000, timezone.utc
                ).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self.region,
                "resources": [f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{self.name}"],
                "detail": {},
            }
        )


def json_body(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return None
