#!/bin/sh
# Build Phlebo's Python environment from a source tree into a new virtual environment.
# The container image runs exactly this (Dockerfile, build stage); so does
# tests/deploy/test_image.py, which then starts the site from the result.
# Usage: deploy/build-venv.sh VENV [SOURCE]   (SOURCE: the repository, default .)
set -eu
venv=${1:?usage: deploy/build-venv.sh VENV [SOURCE]}
src=${2:-.}
test -f "$src/booking_web/static/vendor/.installed" || {
    echo "the NHS.UK frontend assets are missing from $src (make assets, or the assets stage)" >&2
    exit 1
}
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
# A regular (not editable) install: the environment holds everything, the source is not needed.
"$venv/bin/pip" install --quiet "$src"
"$venv/bin/phlebo" --help >/dev/null
