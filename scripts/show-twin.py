#!/usr/bin/env python3
"""Pretty-prints `mosquitto_sub -v -t 'e/#'` output: one line per Ditto twin command, with its path
and a compact value. Usage: show-twin.py FILE [SKIP_LINES]"""
import json
import sys

skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    if n < skip or " " not in line:
        continue
    topic, payload = line.rstrip("\n").split(" ", 1)
    try:
        env = json.loads(payload)
    except ValueError:
        print(f"{topic}: {payload}")
        continue
    action = env.get("topic", "").rsplit("/", 1)[-1]
    value = json.dumps(env["value"], separators=(",", ":")) if "value" in env else ""
    if len(value) > 160:
        value = value[:157] + "..."
    print(f"  {action:7} {env.get('path', '')}\n          {value}" if value else f"  {action:7} {env.get('path', '')}")
