"""Meta's Graph API (Cloud API messages endpoint) stand-in that checks each request's shape.

`POST /{version}/{phone_number_id}/messages` with `Authorization: Bearer <access token>` and
a JSON body: `messaging_product` "whatsapp", a recipient, a known `type` with its object, and
`biz_opaque_callback_data` (the outbox id) on every message; mark-as-read bodies
(`"status": "read"`) answer `{"success": true}`. Anything else is answered with a Graph error
and recorded as a violation, which fails the rehearsal.
"""

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler

from runtime import QuietServer

MESSAGE_TYPES = {
    "text",
    "interactive",
    "template",
    "image",
    "document",
    "location",
    "reaction",
    "audio",
    "video",
    "sticker",
    "contacts",
}


class GraphMock:
    def __init__(self, api_version, phone_number_id, access_token):
        self.api_version = api_version
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.messages = []  # request bodies accepted, in order
        self.violations = []
        self.media = {}  # media id -> bytes a citizen "uploaded"
        self.downloads = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, value):
                body = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _refuse(self, reason, status=400):
                with mock.lock:
                    mock.violations.append(f"{self.command} {self.path}: {reason}")
                self._reply(
                    status,
                    {
                        "error": {
                            "message": reason,
                            "type": "OAuthException",
                            "code": 100,
                            "fbtrace_id": "rehearsal",
                        }
                    },
                )

            def do_GET(self):
                # Media, as the Cloud API serves it: the metadata with a short-lived URL,
                # then the bytes at that URL, both behind the bearer token.
                if self.headers.get("Authorization") != f"Bearer {mock.access_token}":
                    return self._refuse("missing or wrong bearer token", 401)
                prefix = f"/{mock.api_version}/"
                if self.path.startswith("/media-download/"):
                    media_id = self.path[len("/media-download/"):]
                    data = mock.media.get(media_id)
                    if data is None:
                        return self._refuse(f"unknown media download {media_id}", 404)
                    with mock.lock:
                        mock.downloads.append(media_id)
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                if self.path.startswith(prefix) and self.path[len(prefix):] in mock.media:
                    media_id = self.path[len(prefix):]
                    data = mock.media[media_id]
                    return self._reply(
                        200,
                        {
                            "messaging_product": "whatsapp",
                            "url": f"{mock.base_url}/media-download/{media_id}",
                            "mime_type": "image/jpeg",
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "file_size": str(len(data)),
                            "id": media_id,
                        },
                    )
                return self._refuse(f"unexpected GET {self.path}", 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                expected_path = f"/{mock.api_version}/{mock.phone_number_id}/messages"
                if self.path != expected_path:
                    return self._refuse(f"path is not {expected_path}", 404)
                if self.headers.get("Authorization") != f"Bearer {mock.access_token}":
                    return self._refuse("missing or wrong bearer token", 401)
                if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                    return self._refuse("content type is not application/json")
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._refuse("body is not JSON")
                problem = shape_problem(body)
                if problem:
                    return self._refuse(problem)
                if body.get("status") == "read":
                    return self._reply(200, {"success": True})
                with mock.changed:
                    mock.messages.append(body)
                    number = len(mock.messages)
                    mock.changed.notify_all()
                to = body.get("to") or body.get("recipient")
                self._reply(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": f"wamid.rehearsal.{number:06d}"}],
                    },
                )

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self):
        with self.lock:
            return len(self.messages)

    def wait_for(self, predicate, since, timeout_s, what):
        """The first message after index `since` that `predicate` accepts, waiting up to
        `timeout_s`; `None` when none came."""
        import time

        deadline = time.time() + timeout_s
        with self.changed:
            while True:
                for index in range(since, len(self.messages)):
                    if predicate(self.messages[index]):
                        return index, self.messages[index]
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.changed.wait(left)


def shape_problem(body):
    if not isinstance(body, dict):
        return "body is not an object"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product is not whatsapp"
    if body.get("status") == "read":
        return None if body.get("message_id") else "mark-as-read without message_id"
    if not (body.get("to") or body.get("recipient")):
        return "no recipient"
    kind = body.get("type")
    if kind not in MESSAGE_TYPES:
        return f"unknown type {kind!r}"
    if not isinstance(body.get(kind), (dict, list)):
        return f"type {kind} without its {kind} object"
    if not body.get("biz_opaque_callback_data"):
        return "no biz_opaque_callback_data (outbox id)"
    if kind == "text" and not (body["text"].get("body") or "").strip():
        return "empty text"
    if kind == "template":
        template = body["template"]
        if not template.get("name") or not (template.get("language") or {}).get("code"):
            return "template without name or language code"
    return None


def text_of(message):
    """What a citizen reads of a message: text body, interactive body, or template name."""
    kind = message.get("type")
    if kind == "text":
        return message["text"]["body"]
    if kind == "interactive":
        return ((message["interactive"].get("body") or {}).get("text")) or ""
    if kind == "template":
        return f"[template {message['template']['name']}]"
    return f"[{kind}]"


def choices(message):
    """The ids a citizen can tap: reply buttons and list rows."""
    if message.get("type") != "interactive":
        return []
    action = message["interactive"].get("action") or {}
    ids = [b["reply"]["id"] for b in action.get("buttons", []) if "reply" in b]
    for section in action.get("sections", []):
        ids.extend(row["id"] for row in section.get("rows", []))
    return ids
