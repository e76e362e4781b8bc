"""The server of bench/bench_heartbeats.py: wsgi.py's app plus the heartbeat's floor.

`POST /api/v1/bench/floor` is a bare JSON endpoint that also makes one trivial EVALSHA through the app's
Redis client: the least any heartbeat (one Lua call in Redis) can cost on this server.
"""
from flask import jsonify

from app import create_app
from app.redis_client import get_redis
from app.security import csrf_exempt

app = create_app()
FLOOR_LUA = "return 1"


@app.post("/api/v1/bench/floor")
@csrf_exempt
def floor():
    scripts = app.extensions.setdefault("bench_scripts", {})
    if "floor" not in scripts:
        scripts["floor"] = get_redis().register_script(FLOOR_LUA)
    return jsonify(code="ok", message="ok", data={"value": scripts["floor"](keys=["bench:floor"], args=[1])})
