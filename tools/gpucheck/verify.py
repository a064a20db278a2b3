#!/usr/bin/env python3
"""Checks a gpu-check.json: every section there, each with a status, and the
figures a section claims filled. CI runs it on the CPU mode's output
(scripts/test.sh), so a kit that silently stopped filling a section fails
before a GPU machine is ever at hand.

  python3 tools/gpucheck/verify.py artifacts/gpu-check/gpu-check.json

In CPU mode every section must be "ok", except the reference, which may be
"skipped" with a reason when torch could not be installed. Exit status 1
lists every problem found.
"""
import json
import sys

SECTIONS = ("environment", "parity", "bench", "reference", "comparison")


def problems(d):
    out = []
    if d.get("schema") != "whetstone.gpu-check/v1":
        out.append(f"schema is {d.get('schema')!r}, want 'whetstone.gpu-check/v1'")
    cpu = d.get("mode") == "cpu"
    for s in SECTIONS:
        sec = d.get(s)
        if not isinstance(sec, dict):
            out.append(f"{s}: missing")
            continue
        st = sec.get("status")
        if st is None:
            out.append(f"{s}: no status")
        elif st != "ok" and not sec.get("reason"):
            out.append(f"{s}: status {st!r} without a reason")
        elif cpu and st != "ok" and not (s in ("reference", "comparison") and st == "skipped"):
            out.append(f"{s}: status {st!r} in CPU mode: {sec.get('reason')}")
    env = d.get("environment") or {}
    for k in ("whetstone", "nvidia_smi", "packages", "plugin"):
        if k not in env:
            out.append(f"environment.{k}: missing")
    par = d.get("parity") or {}
    if par.get("status") == "ok":
        losses = par.get("losses") or {}
        if len(losses) != 2 or any(len(v) != par.get("steps") for v in losses.values()):
            out.append(f"parity: want two runs of {par.get('steps')} losses, got {[len(v) for v in losses.values()]}")
        if not isinstance(par.get("max_rel_diff"), (int, float)) or par["max_rel_diff"] > par.get("tolerance_rel", 0):
            out.append(f"parity: max_rel_diff {par.get('max_rel_diff')!r} is not within {par.get('tolerance_rel')!r}")
    for s in ("bench", "reference"):
        sec = d.get(s) or {}
        rows = sec.get("results") or []
        if sec.get("status") in ("ok", "partial") and not rows:
            out.append(f"{s}: status {sec.get('status')!r} but no results")
        for r in rows:
            if r.get("status") != "ok":
                continue
            for k in ("tokens_per_s", "memory_mb"):
                v = r.get(k)
                if not isinstance(v, (int, float)) or v <= 0:
                    out.append(f"{s}.{r.get('config')}: {k} is {v!r}, want a positive number")
            if not r.get("memory_kind"):
                out.append(f"{s}.{r.get('config')}: memory_kind missing")
    for k in ("started", "finished", "duration_s"):
        if k not in d:
            out.append(f"{k}: missing")
    return out


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        print(f"verify: {argv[1]}: {e}", file=sys.stderr)
        return 1
    found = problems(d)
    for p in found:
        print(f"verify: {argv[1]}: {p}", file=sys.stderr)
    if not found:
        print(f"verify: {argv[1]}: every section filled ({d.get('mode')} mode, {d.get('duration_s')} s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
