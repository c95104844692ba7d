#!/bin/bash -eu
# Builds every target in fuzz/fuzz_targets/ (new targets are picked up
# automatically) and copies each binary, its dictionary and its seed corpus
# where ClusterFuzzLite expects them.
cd "$SRC/cbspec/fuzz"
cargo fuzz build -O --debug-assertions
for source in fuzz_targets/*.rs; do
    target=$(basename "$source" .rs)
    cp "target/x86_64-unknown-linux-gnu/release/$target" "$OUT/"
    cp "dict/$target.dict" "$OUT/$target.dict"
    if [ -d "corpus/$target" ]; then
        (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
done
