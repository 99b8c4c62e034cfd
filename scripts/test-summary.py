#!/usr/bin/env python3
"""Prints one closing line "tests: N passed, M failed" for a meson test log.

doctest executables report their test cases ("[doctest] test cases: 11 | 10 passed | 1 failed");
those are counted one by one, any other test counts as one by its meson result."""
import json
import re
import sys

passed = failed = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        test = json.loads(line)
        m = re.search(r"\[doctest\] test cases:\s*\d+ \|\s*(\d+) passed \|\s*(\d+) failed", test.get("stdout", ""))
        if m and test["result"] in ("OK", "FAIL"):
            passed += int(m.group(1))
            failed += int(m.group(2))
        elif test["result"] == "OK":
            passed += 1
        else:
            failed += 1
print(f"tests: {passed} passed, {failed} failed")
