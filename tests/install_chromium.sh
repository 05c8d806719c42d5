#!/usr/bin/env bash
# Debian's chromium for the browser test of `serve --web` (tests/test_attach_web.py), installed with
# apt-get as root or through `sudo -n`. Never fails the caller: without chromium that one test is skipped
# and says why.
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=()
elif sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "install_chromium: not root and no sudo -n: the browser test will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq chromium >/dev/null; }; then
    echo "install_chromium: apt-get could not install chromium: the browser test will be skipped" >&2
fi
exit 0
