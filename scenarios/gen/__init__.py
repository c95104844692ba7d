"""The cbspec scenario generator, as a package so each suite file has a module of its own.

Run it through scenarios/generate.py. Layout:

- oracles     expected values computed independently of cbspec (MD5, ETag,
              CRC-64, Base64, form/JSON encoding, imageInfo, template expansion)
- tomlwriter  scenario dictionaries to TOML, byte for byte stable
- common      the scenario shapes (simple, reject, failed), shared constants
              and the error catalogue of (Message, EC) pairs
- suite       collects the suite modules, enforces suite-wide rules (unique
              IDs and object keys), writes the files or checks them
- matrix, sysvars, routing, validation, outcomes, field, carriers
              one module per generated file (matrix writes matrix-*.toml);
              each exposes files() -> {file name: [scenario, ...]}

put-basic.toml and auth-policy-multipart.toml are written by hand: nothing
here reads or writes them.
"""
