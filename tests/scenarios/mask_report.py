#!/usr/bin/env python3
"""mask_report.py REPORT.json — print the report with everything that depends
on time or on the machine replaced by "<masked>", so the rest (options,
counts, page statistics, expectations, structure) can be compared with a
golden file exactly. A null stays null: it says a value does not exist
(a penalty with no steady call), which does not depend on time."""
import json
import os
import sys

MASKED_KEYS = {"tool_version", "started", "command_line", "working_dir", "build",
               "machine", "wall_ns", "rss_bytes",
               "calibration", "histogram_buckets", "percentiles_ns", "ratios",
               "mean_ns", "stddev_ns", "min_ns", "max_ns", "overflow"}


def mask(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if value is not None and (key in MASKED_KEYS or key.endswith("_ns")):
                out[key] = "<masked>"
            elif key == "file":
                out[key] = os.path.basename(value)
            else:
                out[key] = mask(value)
        return out
    if isinstance(node, list):
        return [mask(v) for v in node]
    return node


with open(sys.argv[1]) as f:
    print(json.dumps(mask(json.load(f)), indent=2, sort_keys=True))
