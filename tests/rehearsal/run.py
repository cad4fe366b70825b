#!/usr/bin/env python3
"""Deploy rehearsal: the stack of template.yaml on the moto server, the real function
binaries under a Lambda Runtime API stand-in, and two citizens' paths end to end.

  run.py --endpoint URL [--template template.yaml] [--bin-dir target/debug]

1. SAM transform of the template; every resource the functions use created on moto from its
   own definition (stack.py, provision.py); the secret filled as an operator does after the
   first deploy; the seed content imported with the real `prolink import --dynamodb-table`.
2. The five function binaries started with the environment the template gives them (only
   the Graph API base URL points at the local Graph stand-in), each behind its own Runtime
   API stand-in; the SQS event source mappings polled, the HTTP API routes and the schedule
   driven as the services do (events.py).
3. Proven: the webhook handshake; one signed message from the API event through the webhook
   function, the inbound FIFO queue and the dialog worker to a reply at the Graph mock (and a
   forged one refused); one complaint filed from the chat into DynamoDB, the OPD's template
   sent by the complaint worker from the tasks queue, its photo copied into the media
   bucket, and the scheduler, run at the
   complaint's first SLA point (its wall clock moved by an LD_PRELOAD shim, no production
   hook), sending the OPD's SLA reminder; the operator API's public route and its refusal
   without a token; no dead letter, no protocol or shape violation.
4. At the end, one line per function process: its cold start proxy (spawn to first poll of the
   Runtime API, plus the handling of its first event; the time it waited for that event is not
   counted) and its peak RSS (VmHWM), against the targets of docs/performance.md. Figures
   only: they never change the exit status. `--bin-dir target/release` runs release binaries.

Exit status 0 when everything holds; otherwise 1 with what failed. Every process it starts
is stopped (by its PID) on the way out, also on failure.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

# No __pycache__ folders in the working tree.
sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from events import HttpApi, Schedule, SqsPoller, function_of, json_body  # noqa: E402
from graph_mock import GraphMock, choices, text_of  # noqa: E402
from provision import Aws  # noqa: E402
from runtime import Function  # noqa: E402
from stack import RehearsalError, Stack, sam_transform  # noqa: E402

REGION = "ap-southeast-3"
# Unique per run: the moto server may hold another run's stack (names come from the stage).
RUN_ID = os.urandom(3).hex()
STAGE = f"rehearsal-{RUN_ID}"
STACK_NAME = f"prolink-{STAGE}"
PHONE_NUMBER_ID = "109876543210987"
CITIZEN = "6281255500071"
COMPLAINANT = "6281255500072"
OPD_NUMBER = "6281330000071"
SUPERVISOR_NUMBER = "6281330000171"
PIMPINAN_NUMBER = "6281330000271"
# The category the citizen picks, from the seed; its OPD gets the alerts.
CATEGORY = "jalan-rusak"
WAIT_S = 15
# Cold start targets (docs/performance.md): a function's process start to its first handled
# event; the dialog worker loads its answering index on top.
COLD_START_TARGET_MS = 50
COLD_START_TARGETS_MS = {"dialog-worker": 250}
# The functions' wall clock: 10.00 WIB (UTC+7) of the current WIB day, whenever the test runs,
# so the quiet hours (21.00-06.00 WIB, when OPD messages wait for the morning) never change
# what it proves.
WIB_OFFSET_MS = 7 * 3_600_000
DAY_MS = 86_400_000
OFFICE_TIME_MS = 10 * 3_600_000

# The citizen's taps (the ids the dialog offers; see shared/domain's complaint_texts).
MENU_COMPLAINT = "menu.aduan"
CONSENT_YES = "aduan:setuju"
PHOTOS_DONE = "aduan:foto-selesai"
PRIVACY_NORMAL = "aduan:privasi:biasa"
SUBMIT = "aduan:kirim"


def addressed_to(message, number):
    """Whether a Graph request goes to `number` (sent as +62... in `to`)."""
    return (message.get("to") or "").lstrip("+") == number


def ok(message):
    print(f"ok   {message}", flush=True)


def jpeg(tag):
    """The smallest file the media download takes for a JPEG (SOI, a comment, EOI)."""
    comment = tag.encode()
    return b"\xff\xd8\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + b"\xff\xd9"


def check(condition, message):
    if not condition:
        raise RehearsalError(message)


class Rehearsal:
    def __init__(self, args):
        self.args = args
        self.root = Path(args.root).resolve()
        self.bin_dir = Path(args.bin_dir).resolve()
        self.work = Path(tempfile.mkdtemp(prefix="prolink-rehearsal-"))
        self.functions = {}
        # Every function process started, in order (the scheduler twice), for the cold starts.
        self.processes = []
        self.pollers = []
        self.graph = None
        self.stack = None
        self.expected_failures = set()
        self.started = time.time()
        real_ms = int(time.time() * 1000)
        wib_ms = real_ms + WIB_OFFSET_MS
        self.shift_ms = (wib_ms - wib_ms % DAY_MS + OFFICE_TIME_MS) - wib_ms
        self.shim = None

    # -----------------------------------------------------------------------------------------
    # Set-up
    # -----------------------------------------------------------------------------------------

    def now_ms(self):
        """The functions' "now" (see OFFICE_TIME_MS)."""
        return int(time.time() * 1000) + self.shift_ms

    def clock_env(self, shift_ms):
        return {"LD_PRELOAD": str(self.shim), "REHEARSAL_CLOCK_SHIFT_MS": str(shift_ms)}

    def parameters(self):
        categories = json.loads((self.root / "infra/seed/complaint-categories.json").read_text())
        categories = categories if isinstance(categories, list) else categories["categories"]
        self.opd_id = next(c["opd_id"] for c in categories if c["id"] == CATEGORY)
        return {
            "Stage": STAGE,
            "WhatsAppPhoneNumberId": PHONE_NUMBER_ID,
        }

    def create_stack(self):
        template = sam_transform(self.root / self.args.template, REGION)
        self.stack = Stack(template, self.parameters(), REGION, STACK_NAME)
        self.aws = Aws(self.args.endpoint, REGION)
        self.stack.create_all(self.aws)
        check(not self.aws.unused, f"template properties not applied: {self.aws.unused}")
        kinds = {}
        for _, kind, _ in self.stack.created:
            kinds[kind] = kinds.get(kind, 0) + 1
        ok(
            f"stack on moto from the template: {len(self.stack.created)} resources ("
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            + f"); not created (nothing the functions call): {len(self.stack.skipped)} ("
            + ", ".join(sorted({k.split(",")[0].split("::", 1)[1] for _, k in self.stack.skipped}))
            + ")"
        )
        for note in self.aws.notes:
            ok(f"stand-in note: {note}")
        self.check_stack()

    def check_stack(self):
        """What the functions rely on, read back from moto as created."""
        ddb, sqs = self.aws.client("dynamodb"), self.aws.client("sqs")
        for logical_id, resource in self.stack.of_type("AWS::DynamoDB::Table").items():
            name = self.stack.physical[logical_id]["Ref"]
            table = ddb.describe_table(TableName=name)["Table"]
            wanted = {i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])}
            have = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
            check(wanted == have, f"{logical_id}: indexes {sorted(have)} != {sorted(wanted)}")
            ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            spec = resource["Properties"].get("TimeToLiveSpecification")
            if spec:
                check(
                    ttl.get("AttributeName") == spec["AttributeName"]
                    and ttl.get("TimeToLiveStatus") == "ENABLED",
                    f"{logical_id}: TTL {ttl}",
                )
            ok(f"table {logical_id}: {len(have)} GSIs ({', '.join(sorted(have))}), TTL on "
               f"{ttl.get('AttributeName')}")
        for logical_id, resource in self.stack.of_type("AWS::SQS::Queue").items():
            url = self.stack.physical[logical_id]["Ref"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            p = resource["Properties"]
            if p.get("FifoQueue"):
                check(attrs.get("FifoQueue") == "true", f"{logical_id}: not FIFO")
            if "VisibilityTimeout" in p:
                check(
                    attrs.get("VisibilityTimeout") == str(p["VisibilityTimeout"]),
                    f"{logical_id}: visibility {attrs.get('VisibilityTimeout')}",
                )
            if "RedrivePolicy" in p:
                policy = json.loads(attrs.get("RedrivePolicy", "{}"))
                target = self.stack.resolve(p["RedrivePolicy"]["deadLetterTargetArn"])
                check(
                    policy.get("deadLetterTargetArn") == target
                    and int(policy.get("maxReceiveCount", 0))
                    == int(p["RedrivePolicy"]["maxReceiveCount"]),
                    f"{logical_id}: redrive policy {policy}",
                )
        ok("queues: FIFO attributes, visibility timeouts and redrive policies as in the template")

    def fill_secret(self):
        """What docs/deploy.md has the operator do after the first deploy."""
        sm = self.aws.client("secretsmanager")
        for logical_id in self.stack.of_type("AWS::SecretsManager::Secret"):
            arn = self.stack.physical[logical_id]["Ref"]
            value = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
            check(value.get("verify_token"), f"{logical_id}: no generated verify_token")
            value["app_secret"] = "rehearsal-app-secret-" + os.urandom(8).hex()
            value["access_token"] = "rehearsal-access-token-" + os.urandom(8).hex()
            sm.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
            self.secret = value
        ok("secret: verify_token generated by the template, app_secret and access_token put")

    def clean_env(self):
        """Only what Lambda's environment has; nothing of the developer's shell leaks in."""
        return {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "AWS_ENDPOINT_URL": self.args.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def import_content(self):
        table = next(iter(self.stack.of_type("AWS::DynamoDB::Table")))
        name = self.stack.physical[table]["Ref"]
        prolink = self.bin_dir / "prolink"
        check(prolink.exists(), f"{prolink} not built (cargo test --workspace --no-run)")
        result = subprocess.run(
            [str(prolink), "import", "--dynamodb-table", name, str(self.root / "infra/seed")],
            env=self.clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        check(
            result.returncode == 0,
            f"prolink import failed ({result.returncode}):\n{result.stdout}\n{result.stderr}",
        )
        ok(f"content: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else 'imported'}")
        # The operator numbers are a table setting that the first admin saves on the dashboard
        # (Pengaturan): written here as that save writes it (SettingsStore::put_setting).
        contacts = {
            self.opd_id: [OPD_NUMBER],
            "supervisor": [SUPERVISOR_NUMBER],
            "pimpinan": [PIMPINAN_NUMBER],
        }
        self.aws.client("dynamodb").put_item(
            TableName=name,
            Item={
                "PK": {"S": "SETTING#operator_contacts"},
                "SK": {"S": "SETTING"},
                "entity": {"S": "setting"},
                "key": {"S": "operator_contacts"},
                "value_json": {"S": json.dumps(contacts)},
                "updated_ms": {"N": str(int(time.time() * 1000))},
                "updated_by": {"S": "rehearsal-admin"},
                "version": {"N": "1"},
            },
        )
        ok("operator contacts saved as the dashboard's setting")

    def start_graph(self):
        self.graph = GraphMock(
            self.stack.parameters["WhatsAppApiVersion"], PHONE_NUMBER_ID, self.secret["access_token"]
        )

    def function(self, logical_id, extra_env=None):
        resource = self.stack.resources[logical_id]
        p = resource["Properties"]
        binary_name = ((resource.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
        check(binary_name, f"{logical_id}: no Metadata.BuildProperties.Binary")
        binary = self.bin_dir / binary_name
        check(
            binary.exists(),
            f"{binary} not built: cargo test --workspace builds a function's binary when its "
            f"crate has an integration test (functions/<crate>/tests/main.rs)",
        )
        env = {}
        for key, value in ((p.get("Environment") or {}).get("Variables") or {}).items():
            try:
                env[key] = str(self.stack.resolve(value))
            except Exception as error:  # noqa: BLE001 - a template gap is the finding
                raise RehearsalError(f"{logical_id}: {key} = {value!r} unresolvable: {error}")
        if "WHATSAPP_GRAPH_URL" in env:
            check(
                env["WHATSAPP_GRAPH_URL"].startswith("https://"),
                f"{logical_id}: WHATSAPP_GRAPH_URL {env['WHATSAPP_GRAPH_URL']!r}",
            )
            # The one stand-in in the environment: Meta's Graph API is local.
            env["WHATSAPP_GRAPH_URL"] = self.graph.base_url
        logging = p.get("LoggingConfig") or {}
        if logging.get("LogFormat"):
            env["AWS_LAMBDA_LOG_FORMAT"] = logging["LogFormat"]
        if logging.get("ApplicationLogLevel"):
            env["AWS_LAMBDA_LOG_LEVEL"] = logging["ApplicationLogLevel"]
        return Function(
            logical_id,
            p.get("FunctionName") or self.stack.generated_name(logical_id, 64),
            str(binary),
            env,
            int(p.get("Timeout", 3)),
            int(p.get("MemorySize", 128)),
            str(self.work),
            REGION,
            extra_env if extra_env is not None else self.clock_env(self.shift_ms),
        )

    def start_functions(self):
        candidates = self.stack.of_type("AWS::Lambda::Function")
        for logical_id, resource in candidates.items():
            # Every function is referable by name and ARN, as Lambda would name it.
            name = resource["Properties"].get("FunctionName") or self.stack.generated_name(
                logical_id, 64
            )
            self.stack.physical[logical_id] = {
                "Ref": name,
                "Arn": f"arn:aws:lambda:{REGION}:123456789012:function:{name}",
            }
        self.stack.allow_placeholders = True
        self.shim = self.build_clock_shim()
        others = []
        for logical_id, resource in candidates.items():
            if not ((resource.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary"):
                # Not one of the workspace's binaries (an inline custom resource, say).
                others.append(logical_id)
                continue
            self.functions[logical_id] = self.function(logical_id)
        check(self.functions, "no function with Metadata.BuildProperties.Binary in the template")
        for f in self.functions.values():
            self.processes.append(f)
            f.start(self.clean_env())
        for f in self.functions.values():
            f.wait_ready(20)
        ok(
            "functions polling their Runtime API: "
            + ", ".join(f"{f.logical_id} ({Path(f.binary).name})" for f in self.functions.values())
            + f"; their clock {time.strftime('%Y-%m-%d %H:%M', time.gmtime((self.now_ms() + WIB_OFFSET_MS) / 1000))} WIB"
            + (f"; not started (no workspace binary): {', '.join(others)}" if others else "")
            + (
                f"; placeholders for what is not stood in: {', '.join(sorted(self.stack.placeholders))}"
                if self.stack.placeholders
                else ""
            )
        )

    def wire_events(self):
        queues_by_arn = {
            self.stack.physical[q]["Arn"]: self.stack.physical[q]["Ref"]
            for q in self.stack.of_type("AWS::SQS::Queue")
        }
        for logical_id, mapping in self.stack.of_type("AWS::Lambda::EventSourceMapping").items():
            target = function_of(self.stack, mapping["Properties"]["FunctionName"])
            check(target in self.functions, f"{logical_id}: {target} not started")
            poller = SqsPoller(
                self.aws, self.stack, logical_id, mapping, self.functions[target], queues_by_arn
            )
            self.pollers.append(poller)
        for poller in self.pollers:
            poller.start()
        self.http = HttpApi(self.stack, self.functions)
        self.schedules = []
        for logical_id, rule in self.stack.of_type("AWS::Events::Rule").items():
            if "ScheduleExpression" not in rule["Properties"]:
                continue  # an event pattern, not a schedule
            for target in rule["Properties"].get("Targets", []):
                try:
                    name = function_of(self.stack, target["Arn"])
                except RehearsalError:
                    continue  # a target that is not a function
                if name in self.functions:
                    self.schedules.append(
                        Schedule(self.stack, logical_id, rule, self.functions[name])
                    )
        ok(
            "event sources: "
            + "; ".join(
                f"{p.name} (batch {p.batch_size}, partial failures {p.report_failures})"
                for p in self.pollers
            )
            + f"; {len(self.http.routes)} HTTP API routes; schedules "
            + ", ".join(f"{s.name} {s.expression}" for s in self.schedules)
        )

    # -----------------------------------------------------------------------------------------
    # The citizen
    # -----------------------------------------------------------------------------------------

    def webhook_body(self, sender, message):
        message = dict(message)
        message.setdefault("from", sender)
        message.setdefault("id", f"wamid.rehearsal.in.{os.urandom(8).hex()}")
        message.setdefault("timestamp", str(self.now_ms() // 1000))
        return json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "100000000000071",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "6281119990000",
                                        "phone_number_id": PHONE_NUMBER_ID,
                                    },
                                    "contacts": [
                                        {"profile": {"name": "Warga Gladi"}, "wa_id": sender}
                                    ],
                                    "messages": [message],
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()

    def post_webhook(self, body, secret=None):
        signature = hmac.new(
            (secret or self.secret["app_secret"]).encode(), body, hashlib.sha256
        ).hexdigest()
        status, _, raw = self.http.request(
            "POST",
            "/webhook",
            {
                "content-type": "application/json",
                "x-hub-signature-256": f"sha256={signature}",
                "user-agent": "facebookexternalua",
            },
            body,
        )
        return status, raw

    def turn(self, sender, message, expect, what):
        """One message from `sender`; waits for the bot's message to them that `expect`
        accepts."""
        since = self.graph.count()
        status, raw = self.post_webhook(self.webhook_body(sender, message))
        check(status == 200, f"{what}: webhook answered {status} {raw[:200]!r}")
        found = self.graph.wait_for(
            lambda m: addressed_to(m, sender) and expect(m), since, WAIT_S, what
        )
        if found is None:
            sent = [
                f"to {m.get('to') or m.get('recipient')}: {m.get('type')} {text_of(m)[:60]!r} "
                f"{choices(m)}"
                for m in self.graph.messages[since:]
            ]
            raise RehearsalError(f"{what}: no such reply within {WAIT_S} s; sent meanwhile: {sent}")
        return found[1]

    @staticmethod
    def offers(choice):
        return lambda m: choice in choices(m)

    def tap(self, sender, offered, choice_id, expect, what):
        kind = "list_reply" if offered.get("interactive", {}).get("type") == "list" else "button_reply"
        title = choice_id
        action = offered["interactive"].get("action", {})
        for button in action.get("buttons", []):
            if button.get("reply", {}).get("id") == choice_id:
                title = button["reply"]["title"]
        for section in action.get("sections", []):
            for row in section.get("rows", []):
                if row["id"] == choice_id:
                    title = row["title"]
        return self.turn(
            sender,
            {"type": "interactive", "interactive": {"type": kind, kind: {"id": choice_id, "title": title}}},
            expect,
            what,
        )

    def prove_webhook(self):
        token = self.secret["verify_token"]
        query = urllib.parse.urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
        )
        status, _, raw = self.http.request("GET", "/webhook", {}, b"", query)
        check(status == 200 and raw == b"1158201444", f"handshake: {status} {raw!r}")
        ok("GET /webhook handshake with the generated verify token answers the challenge")

        forged, _ = self.post_webhook(
            self.webhook_body(CITIZEN, {"type": "text", "text": {"body": "halo"}}),
            secret="not-the-app-secret",
        )
        check(forged == 401, f"a forged signature got {forged}, not 401")

        reply = self.turn(
            CITIZEN,
            {"type": "text", "text": {"body": "halo"}},
            lambda m: m.get("type") in ("text", "interactive"),
            "reply to a signed 'halo'",
        )
        ok(
            "signed webhook -> webhook function -> inbound FIFO queue -> dialog worker -> Graph: "
            f"{reply['type']} reply {text_of(reply)[:60]!r} (forged signature refused with 401)"
        )

    def prove_complaint(self):
        m = self.tap_menu()
        m = self.tap(COMPLAINANT, m, CONSENT_YES, self.offers(f"complaint:{CATEGORY}"), "category list")
        m = self.tap(
            COMPLAINANT,
            m,
            f"complaint:{CATEGORY}",
            lambda r: r.get("type") == "text",
            "description question",
        )
        description = "Jalan di depan SD Gladi berlubang besar sejak dua minggu, motor sering jatuh"
        m = self.turn(
            COMPLAINANT,
            {"type": "text", "text": {"body": description}},
            lambda r: r.get("type") == "interactive"
            and r["interactive"].get("type") == "location_request_message",
            "location request",
        )
        m = self.turn(
            COMPLAINANT,
            {
                "type": "location",
                "location": {
                    "latitude": -7.7543,
                    "longitude": 113.2159,
                    "name": "Depan SD Gladi",
                    "address": "Jl. Soekarno Hatta, Kota Probolinggo",
                },
            },
            self.offers(PHOTOS_DONE),
            "photo question",
        )
        photo = jpeg(f"rehearsal photo {RUN_ID}")
        media_id = f"{int.from_bytes(os.urandom(6), 'big')}"
        self.graph.media[media_id] = photo
        m = self.turn(
            COMPLAINANT,
            {
                "type": "image",
                "image": {
                    "id": media_id,
                    "mime_type": "image/jpeg",
                    "sha256": hashlib.sha256(photo).hexdigest(),
                },
            },
            self.offers(PHOTOS_DONE),
            "photo counted",
        )
        m = self.tap(COMPLAINANT, m, PHOTOS_DONE, self.offers(PRIVACY_NORMAL), "privacy question")
        m = self.tap(COMPLAINANT, m, PRIVACY_NORMAL, self.offers(SUBMIT), "summary")
        since = self.graph.count()
        m = self.tap(
            COMPLAINANT,
            m,
            SUBMIT,
            lambda r: "Nomor tiket" in text_of(r),
            "confirmation with the ticket",
        )
        ticket = re.search(r"Nomor tiket: \*([^*]+)\*", text_of(m)).group(1)
        ok(f"complaint filed from the chat (menu, consent, category, description, pin, a photo, "
           f"privacy, Kirim): ticket {ticket}")

        table = self.stack.physical[next(iter(self.stack.of_type("AWS::DynamoDB::Table")))]["Ref"]
        ddb = self.aws.client("dynamodb")
        # Keys of docs/data-model.md.
        item = ddb.get_item(TableName=table, Key={"PK": {"S": f"CMP#{ticket}"}, "SK": {"S": "CMP"}})
        item = item.get("Item")
        check(item is not None, f"{ticket}: no complaint item in the table")
        data = json.loads(item["data"]["S"])
        check(item["status"]["S"] == "diterima", f"{ticket}: status {item['status']}")
        check(item["opd_id"]["S"] == self.opd_id, f"{ticket}: OPD {item['opd_id']}")
        check(data.get("category_id") == CATEGORY, f"{ticket}: category {data.get('category_id')}")
        check(description in json.dumps(data), f"{ticket}: description not stored")
        check("next_due_ms" in item and item.get("GSI4PK", {}).get("S") == "CMPDUE",
              f"{ticket}: not on the scheduler's index")
        self.due_ms = int(item["next_due_ms"]["N"])
        ok(f"DynamoDB: complaint item {ticket} (diterima, OPD {self.opd_id}, next SLA point "
           f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.due_ms / 1000))})")

        found = self.graph.wait_for(
            lambda r: addressed_to(r, OPD_NUMBER)
            and r.get("type") == "template"
            and r["template"]["name"] == "aduan_baru_petugas"
            and ticket in json.dumps(r["template"]),
            since,
            WAIT_S,
            "OPD template",
        )
        check(found is not None, f"{ticket}: no aduan_baru_petugas template to the OPD")
        ok(f"tasks queue -> complaint worker -> Graph: template aduan_baru_petugas to the OPD "
           f"({self.opd_id}) naming {ticket}")

        # The photo: downloaded from Graph by the complaint worker and copied into the media
        # bucket of the template.
        bucket = self.stack.physical[self.media_bucket()]["Ref"]
        s3 = self.aws.client("s3")
        deadline = time.time() + WAIT_S
        stored = []
        while time.time() < deadline and not stored:
            stored = [
                o["Key"]
                for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
                if ticket in o["Key"]
            ]
            if not stored:
                time.sleep(0.2)
        check(stored, f"{ticket}: the photo was not copied into {bucket}")
        body = s3.get_object(Bucket=bucket, Key=stored[0])["Body"].read()
        check(body == photo, f"{ticket}: the stored photo's bytes differ from the citizen's")
        check(media_id in self.graph.downloads, f"{ticket}: the photo was not downloaded")
        ok(f"photo: downloaded from Graph and copied into the media bucket as {stored[0]}")
        self.ticket = ticket
        self.table = table

    def media_bucket(self):
        """The bucket the complaint worker's PROLINK_MEDIA_BUCKET names."""
        worker = next(
            f for f in self.functions.values() if Path(f.binary).name == "complaint-worker"
        )
        name = worker.env.get("PROLINK_MEDIA_BUCKET")
        for logical_id in self.stack.of_type("AWS::S3::Bucket"):
            if self.stack.physical.get(logical_id, {}).get("Ref") == name:
                return logical_id
        raise RehearsalError(f"PROLINK_MEDIA_BUCKET {name!r} is none of the template's buckets")

    def tap_menu(self):
        # The main menu's complaint row, tapped as the first message of a new citizen.
        return self.turn(
            COMPLAINANT,
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": MENU_COMPLAINT, "title": "Aduan"},
                },
            },
            self.offers(CONSENT_YES),
            "privacy notice",
        )

    def prove_sla_reminder(self):
        schedule = next(
            (s for s in self.schedules if Path(s.function.binary).name == "scheduler"), None
        )
        check(schedule is not None, "no schedule invokes the scheduler binary")
        scheduler_id = schedule.function.logical_id
        report = schedule.fire()
        check(
            isinstance(report, dict) and report.get("actions") == 0,
            f"a tick now, before the SLA point, acted: {report}",
        )
        ok(f"scheduled event now: the scheduler examines, nothing due yet ({json.dumps(report)[:90]}...)")

        # The scheduler "later": the same binary, its wall clock one minute past the
        # complaint's first SLA point.
        shift_ms = self.due_ms + 60_000 - int(time.time() * 1000)
        later = self.functions[scheduler_id]
        later.stop()
        later = self.function(scheduler_id, self.clock_env(shift_ms))
        self.functions[scheduler_id] = later
        self.processes.append(later)
        later.start(self.clean_env())
        later.wait_ready(20)
        for other in self.schedules:
            if other.function.logical_id == scheduler_id:
                other.function = later
        since = self.graph.count()
        report = schedule.fire()
        check(isinstance(report, dict) and report.get("actions", 0) >= 1,
              f"the tick at the SLA point did nothing: {report}")
        found = self.graph.wait_for(
            lambda r: addressed_to(r, OPD_NUMBER)
            and r.get("type") == "template"
            and r["template"]["name"] == "aduan_pengingat_petugas"
            and self.ticket in json.dumps(r["template"]),
            since,
            WAIT_S,
            "SLA reminder",
        )
        check(found is not None, f"{self.ticket}: no aduan_pengingat_petugas template to the OPD")
        item = self.aws.client("dynamodb").get_item(
            TableName=self.table, Key={"PK": {"S": f"CMP#{self.ticket}"}, "SK": {"S": "CMP"}}
        )["Item"]
        events = [e.get("id", "") for e in json.loads(item["data"]["S"]).get("events", [])]
        reminders = [e for e in events if e.startswith("sla.reminder.")]
        check(reminders, f"{self.ticket}: no SLA reminder event recorded: {events}")
        ok(f"scheduled event {(shift_ms - self.shift_ms) / DAY_MS:.1f} days later: SLA reminder "
           f"{reminders[0]} recorded and template aduan_pengingat_petugas sent to the OPD")

    def build_clock_shim(self):
        compiler = shutil.which("cc") or shutil.which("gcc")
        check(compiler, "no C compiler for the clock shim (the Rust toolchain needs one anyway)")
        out = self.work / "clock_shift.so"
        subprocess.run(
            [compiler, "-shared", "-fPIC", "-O2", "-o", str(out), str(HERE / "clock_shift.c"), "-ldl"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out

    def prove_api(self):
        status, _, raw = self.http.request("GET", "/public/stats", {"accept": "application/json"})
        check(status == 200 and isinstance(json_body(raw), dict), f"/public/stats: {status} {raw[:200]!r}")
        status, _, raw = self.http.request("GET", "/api/complaints", {})
        check(status == 401, f"/api/complaints without a token: {status} {raw[:200]!r}")
        ok("operator API function: GET /public/stats 200 with JSON, /api/complaints without a token 401")

    def prove_partial_failure(self):
        """One batch of two tasks: one the complaint worker finishes, one it must retry (a
        status task whose event is not on the complaint yet). Only the finished one may be
        deleted; the other stays hidden for the queue's visibility timeout."""
        poller = next(
            p for p in self.pollers if Path(p.function.binary).name == "complaint-worker"
        )
        sqs = self.aws.client("sqs")
        sent = sqs.send_message_batch(
            QueueUrl=poller.queue_url,
            Entries=[
                {
                    "Id": "done",
                    "MessageBody": json.dumps(
                        {"kind": "status_changed", "ticket": "PS-AAAAAA", "event_id": "x"}
                    ),
                },
                {
                    "Id": "retry",
                    "MessageBody": json.dumps(
                        {
                            "kind": "status_changed",
                            "ticket": self.ticket,
                            "event_id": "status.rehearsal-not-yet-written",
                        }
                    ),
                },
            ],
        )
        ids = {e["Id"]: e["MessageId"] for e in sent["Successful"]}
        deadline = time.time() + WAIT_S
        seen = set()
        while time.time() < deadline and not {ids["done"], ids["retry"]} <= seen:
            time.sleep(0.1)
            seen = {m for _, failed, received in poller.batches_seen() for m in received}
        check({ids["done"], ids["retry"]} <= seen, f"tasks not delivered: {poller.batches}")
        failed = {m for _, failed, _ in poller.batches_seen() for m in failed}
        check(ids["retry"] in failed, f"the retried task was not reported failed: {failed}")
        check(ids["done"] not in failed, "the finished task was reported failed")
        attrs = sqs.get_queue_attributes(
            QueueUrl=poller.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                            "VisibilityTimeout"],
        )["Attributes"]
        check(
            attrs["ApproximateNumberOfMessages"] == "0"
            and attrs["ApproximateNumberOfMessagesNotVisible"] == "1",
            f"after the partial failure the queue holds {attrs}",
        )
        self.expected_failures.add(ids["retry"])
        ok(f"{poller.name}: ReportBatchItemFailures - the finished task deleted, the retried one "
           f"kept and hidden for the queue's {attrs['VisibilityTimeout']} s visibility timeout")

    def final_checks(self):
        sqs = self.aws.client("sqs")
        for logical_id, resource in self.stack.of_type("AWS::SQS::Queue").items():
            url = self.stack.physical[logical_id]["Ref"]
            attrs = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            waiting = int(attrs["ApproximateNumberOfMessages"]) + int(
                attrs["ApproximateNumberOfMessagesNotVisible"]
            )
            is_dlq = any(
                self.stack.resolve(r["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn", ""))
                == self.stack.physical[logical_id]["Arn"]
                for r in self.stack.of_type("AWS::SQS::Queue").values()
            )
            if is_dlq or "DeadLetter" in logical_id:
                check(waiting == 0, f"{logical_id}: {waiting} dead letter(s)")
        for poller in self.pollers:
            check(not poller.errors, f"{poller.name}: {poller.errors}")
            failed = [
                ids for _, ids in poller.batches if set(ids) - self.expected_failures
            ]
            check(not failed, f"{poller.name}: batch item failures {failed}")
        for f in self.functions.values():
            check(not f.api.protocol_errors, f"{f.logical_id}: Runtime API misuse {f.api.protocol_errors}")
            check(f.process.poll() is None, f"{f.logical_id}: exited with {f.process.returncode}")
        check(not self.graph.violations, f"Graph API requests of the wrong shape: {self.graph.violations}")
        batches = sum(len(p.batches) for p in self.pollers)
        ok(f"no dead letter, no unexpected batch item failure ({batches} SQS batches), no Runtime API or "
           f"Graph shape violation ({len(self.graph.messages)} messages sent)")

    # -----------------------------------------------------------------------------------------

    def run(self):
        self.create_stack()
        self.fill_secret()
        self.import_content()
        self.start_graph()
        self.start_functions()
        self.wire_events()
        self.prove_webhook()
        self.prove_complaint()
        self.prove_sla_reminder()
        self.prove_api()
        self.prove_partial_failure()
        self.final_checks()

    def stop(self):
        for poller in self.pollers:
            poller.stopping.set()
        for poller in self.pollers:
            poller.stop()
        for f in self.functions.values():
            f.stop()
        if self.graph:
            self.graph.stop()

    def cold_starts(self):
        """The cold start table: one line per function process started (read after stop())."""
        if not self.processes:
            return []

        def num(value, digits=1):
            return f"{value:.{digits}f}" if value is not None else "-"

        lines = [
            f"cold starts ({self.bin_dir.name} binaries; init = spawn to first poll of the "
            "Runtime API, 1st event = handed out to response, cold start = init + 1st event; "
            "later events = median handling of the same process's later events (n), its warm "
            "cost against moto; peak RSS = VmHWM after the 1st event / before the stop):",
            f"  {'function':<28} {'binary':<17} {'init ms':>8} {'1st event ms':>12} "
            f"{'cold start ms':>13} {'target':>9}  {'later events ms':>16}  {'peak RSS MiB':>13}",
        ]
        seen = {}
        for f in self.processes:
            binary = Path(f.binary).name
            seen[f.logical_id] = seen.get(f.logical_id, 0) + 1
            label = f.logical_id + (f" #{seen[f.logical_id]}" if seen[f.logical_id] > 1 else "")
            target = COLD_START_TARGETS_MS.get(binary, COLD_START_TARGET_MS)
            c = f.cold_start()
            if c["init_ms"] is None:
                verdict = "never polled the Runtime API"
            elif f.first is None or not c["handed"]:
                verdict = "no event handed to it"
            elif c["handling_ms"] is None:
                verdict = "no answer to its first event"
            else:
                verdict = "within target" if c["cold_ms"] < target else "over target"
            peak = f"{num(c['peak_first_mib'])} / {num(c['peak_stop_mib'])}"
            later = f"{num(c['later_ms'])} ({c['later_n']})" if c["later_n"] else "-"
            lines.append(
                f"  {label:<28} {binary:<17} {num(c['init_ms']):>8} {num(c['handling_ms']):>12} "
                f"{num(c['cold_ms']):>13} {'< ' + str(target) + ' ms':>9}  {later:>16}  "
                f"{peak:>13}  {verdict}"
            )
        return lines

    def logs(self):
        for f in self.functions.values():
            print(f"--- {f.logical_id} ({f.log_path}), last lines:\n{f.log_tail(15)}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=os.environ.get("PROLINK_TEST_AWS_ENDPOINT"))
    parser.add_argument("--root", default=str(HERE.parent.parent))
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--bin-dir", default=None)
    args = parser.parse_args()
    if not args.endpoint:
        print("FAIL rehearsal: no moto endpoint (--endpoint or PROLINK_TEST_AWS_ENDPOINT)", file=sys.stderr)
        return 1
    if args.bin_dir is None:
        target = os.environ.get("CARGO_TARGET_DIR") or str(Path(args.root) / "target")
        args.bin_dir = str(Path(target) / "debug")
    rehearsal = Rehearsal(args)
    # A TERM from the test command still runs the clean-up below.
    def terminated(*_):
        print("FAIL rehearsal: terminated (SIGTERM); stopping what it started", file=sys.stderr)
        sys.exit(143)

    signal.signal(signal.SIGTERM, terminated)
    try:
        rehearsal.run()
        ok(f"deploy rehearsal passed in {time.time() - rehearsal.started:.1f} s")
        return 0
    except RehearsalError as error:
        print(f"FAIL rehearsal: {error}", file=sys.stderr)
        rehearsal.logs()
        return 1
    except Exception as error:  # noqa: BLE001 - any other failure is a failure too, with its trace
        import traceback

        traceback.print_exc()
        print(f"FAIL rehearsal: {type(error).__name__}: {error}", file=sys.stderr)
        rehearsal.logs()
        return 1
    finally:
        rehearsal.stop()
        shutil.rmtree(rehearsal.work, ignore_errors=True)
        try:
            for line in rehearsal.cold_starts():
                print(line, flush=True)
        except Exception as error:  # noqa: BLE001 - the figures never change the outcome
            print(f"cold start figures unavailable: {type(error).__name__}: {error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
