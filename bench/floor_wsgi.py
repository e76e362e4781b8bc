"""The server of bench/bench_heartbeats.py: wsgi.py's app plus the heartbeat's floor.

`POST /api/v1/bench/floor` is the bare JSON endpoint (`GET /api/v1/ping`: an ApiBlueprint endpoint
answering the envelope) that also makes one trivial EVALSHA, the way the heartbeat makes its own
(app.learning.keys.script): the least any heartbeat, one Lua call in Redis, can cost on this server.
"""
from app import create_app
from app.api import API_PREFIX, ApiBlueprint, ok
from app.learning.keys import script
from app.security import csrf_exempt

FLOOR_LUA = "return 1"
bench = ApiBlueprint("bench", __name__)


@bench.endpoint("/bench/floor", methods=["POST"], auth=None)
@csrf_exempt
def floor():
    """Ping plus one trivial EVALSHA."""
    return ok({"value": script("bench_floor", FLOOR_LUA)(keys=["bench:floor"], args=[1])})


app = create_app()
app.register_blueprint(bench, url_prefix=API_PREFIX)
