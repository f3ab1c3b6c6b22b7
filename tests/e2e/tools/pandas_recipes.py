"""Runs pandas recipes for tests/e2e/recipes.test.mjs.

stdin: {"recipes": [{"name": ..., "code": ..., "capture": [variable, ...]}, ...]}. The recipes
run in order in one namespace (as cells of a notebook would); after each, its captured
variables are written out. stdout: one JSON object, variable -> value, where a DataFrame is
{"columns", "dtypes", "index", "rows"} and a Series {"dtype", "index", "values"}, and each cell
keeps its Python type: a str stays a string, an integer (Python or numpy) is {"i": "digits"}, a
float {"f": x}, a Timestamp {"t": "ISO 8601"}, a missing value null. So the test tells an exact
string or integer from a float that only looks like one.
"""
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd


def cell(v):
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return {"i": str(int(v))}
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else {"f": float(v)}
    if isinstance(v, str):
        return v
    if isinstance(v, pd.Timestamp):
        return {"t": v.isoformat()}
    return {"repr": repr(v)}


def dump(v):
    if isinstance(v, pd.DataFrame):
        return {
            "columns": [str(c) for c in v.columns],
            "dtypes": {str(c): str(t) for c, t in v.dtypes.items()},
            "index": [cell(i) for i in v.index],
            "rows": [[cell(x) for x in row] for row in v.itertuples(index=False, name=None)],
        }
    if isinstance(v, pd.Series):
        return {"dtype": str(v.dtype), "index": [cell(i) for i in v.index], "values": [cell(x) for x in v]}
    return cell(v)


def main():
    spec = json.load(sys.stdin)
    ns = {"__name__": "__recipes__"}
    out = {}
    with warnings.catch_warnings():
        # A RuntimeWarning is how pandas reports an amount it made a float of: fail on it.
        warnings.simplefilter("error", RuntimeWarning)
        for r in spec["recipes"]:
            try:
                exec(compile(r["code"], r["name"], "exec"), ns)
            except Exception as e:
                raise SystemExit(f"recipe {r['name']} failed: {type(e).__name__}: {e}")
            for name in r.get("capture", []):
                out[name] = dump(ns[name])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
