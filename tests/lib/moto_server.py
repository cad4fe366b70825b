"""moto's server, with each DynamoDB request handled atomically.

DynamoDB applies every request, and every TransactWriteItems as a whole, atomically: a
condition is checked and the write made with nothing in between. moto's threaded server does
not: two concurrent transactions can both pass `attribute_not_exists(PK)` before either
writes, which made the concurrent-import conformance test fail at random under load. One
lock around moto's DynamoDB handler restores the real service's guarantee; other services
run as before. Arguments are moto_server's own.
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_DYNAMODB_LOCK = threading.Lock()
_call_action = DynamoHandler.call_action


def _atomic_call_action(self):
    with _DYNAMODB_LOCK:
        return _call_action(self)


DynamoHandler.call_action = _atomic_call_action

if __name__ == "__main__":
    sys.exit(main())
