#!/usr/bin/env python3
"""Generates the cbspec conformance scenarios (stdlib only, Python 3.9+).

    python3 scenarios/generate.py           rewrite every generated scenarios/*.toml
    python3 scenarios/generate.py --check   compare them with the generator; exit 1 if stale

Each generated file starts with a header saying so; put-basic.toml and
auth-policy-multipart.toml are written by hand and left alone. The code lives
in the gen/ package next to this file (see gen/__init__.py for its layout);
this script only parses the command line, so it works from any directory.
"""

import argparse
import os
import sys

# Running the generator must not leave gen/__pycache__ in the checkout.
sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
# Python puts the script's directory on sys.path, except in isolated mode (-I).
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from gen import suite  # noqa: E402  (needs the path above)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 scenarios/generate.py",
        description="Write the generated cbspec scenario files into scenarios/, or check that they are up to date.")
    parser.add_argument("--check", action="store_true",
                        help="generate into a temporary directory and compare with the files in scenarios/; "
                             "exit 0 if they all match, 1 (listing the differences) if not")
    args = parser.parse_args(argv)
    return suite.check(HERE) if args.check else suite.generate(HERE)


if __name__ == "__main__":
    sys.exit(main())
